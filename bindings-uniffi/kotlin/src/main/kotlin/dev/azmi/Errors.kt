package dev.azmi

import dev.azmi.ffi.AzmiException as Native

/** Every failure of azmi. [code] is the stable code every azmi binding shares (`unavailable`,
 *  `identity_not_found`, `config`, ARM's `not_found`, ...); [source] the managed identity source
 *  tried, [statusCode] the HTTP status behind it, [attempts] each HTTP attempt of the token
 *  request. No field, message or `toString()` ever holds a token. */
open class AzmiException internal constructor(f: Native.Failure) : RuntimeException(f.reason) {
    val code: String = f.code
    val family: String = f.family
    val source: String? = f.source
    val statusCode: Int? = f.statusCode?.toInt()
    val attempts: List<Attempt> = f.attempts.map { Attempt(it.startedMs.toLong(), it.result, it.waitedMs.toLong()) }

    /** One HTTP attempt: when it started (ms since the request began), its status or transport
     *  failure, and how long the flow waited after it. */
    data class Attempt(val startedMs: Long, val result: String, val waitedMs: Long)

    override fun toString(): String = "${javaClass.simpleName}(code=$code, message=$message)"
}

/** Options that are unknown, conflicting or out of range (`config`, or an option's code). */
class ConfigurationException internal constructor(f: Native.Failure) : AzmiException(f)

/** No managed identity endpoint answers here (`unavailable`). */
class CredentialUnavailableException internal constructor(f: Native.Failure) : AzmiException(f)

/** The endpoint knows no such identity (`identity_not_found`). */
class IdentityNotFoundException internal constructor(f: Native.Failure) : AzmiException(f)

/** The endpoint refused or failed the token request; one subclass per stable code. */
open class AuthenticationException internal constructor(f: Native.Failure) : AzmiException(f)

/** `bad_request`: the endpoint refused the request as malformed (400). */
class BadRequestException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `unauthorized`: the endpoint refused the request's secret or headers (401, 403). */
class UnauthorizedException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `wrong_identity`: the token is for another identity than the one asked for. */
class WrongIdentityException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `throttled`: the endpoint kept answering 429 until retries ran out. */
class ThrottledException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `endpoint_error`: the endpoint kept failing (5xx) until retries ran out. */
class EndpointException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `invalid_response`: the endpoint's answer is not a token response. */
class InvalidResponseException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** `key_file`: Azure Arc's challenge key file could not be read. */
class KeyFileException internal constructor(f: Native.Failure) : AuthenticationException(f)

/** The overall deadline passed before a token came (`deadline_exceeded`). */
class DeadlineExceededException internal constructor(f: Native.Failure) : AzmiException(f)

/** An ARM call failed; [errorCode] and [errorMessage] are ARM's own (`ResourceGroupNotFound`),
 *  [kind] the core's kind of failure (`not_found`, `conflict`, `authentication`, ...). */
open class ArmException internal constructor(f: Native.Failure) : AzmiException(f) {
    val kind: String? = f.armKind
    val errorCode: String? = f.errorCode
    val errorMessage: String? = f.errorMessage
    val target: String? = f.target
    val requestId: String? = f.requestId
    val correlationId: String? = f.correlationId
}

/** ARM answered 404 (`not_found`). */
class ArmNotFoundException internal constructor(f: Native.Failure) : ArmException(f)

/** ARM answered 409 (`conflict`). */
class ArmConflictException internal constructor(f: Native.Failure) : ArmException(f)

/** A progress listener stopped a long-running operation (`stopped`). */
class OperationStoppedException internal constructor(f: Native.Failure) : AzmiException(f)

/** The exception class of a failure: by family, then by the stable code (ARM by its kind). */
internal fun translate(e: Native): AzmiException {
    val f = e as Native.Failure
    return when (f.family) {
        "config" -> ConfigurationException(f)
        "callback" -> OperationStoppedException(f)
        "arm" -> when (f.armKind) {
            "not_found" -> ArmNotFoundException(f)
            "conflict" -> ArmConflictException(f)
            else -> ArmException(f)
        }
        else -> when (f.code) {
            "config" -> ConfigurationException(f)
            "unavailable" -> CredentialUnavailableException(f)
            "identity_not_found" -> IdentityNotFoundException(f)
            "deadline_exceeded" -> DeadlineExceededException(f)
            "bad_request" -> BadRequestException(f)
            "unauthorized" -> UnauthorizedException(f)
            "wrong_identity" -> WrongIdentityException(f)
            "throttled" -> ThrottledException(f)
            "endpoint_error" -> EndpointException(f)
            "invalid_response" -> InvalidResponseException(f)
            "key_file" -> KeyFileException(f)
            else -> if (f.family == "input") ConfigurationException(f) else AzmiException(f)
        }
    }
}

/** Runs a native call, raising its failure as the exception of its code. */
internal inline fun <T> native(call: () -> T): T = try {
    call()
} catch (e: Native) {
    throw translate(e)
}
