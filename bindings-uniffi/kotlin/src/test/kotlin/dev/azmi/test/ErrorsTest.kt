package dev.azmi.test

import dev.azmi.AzmiException
import dev.azmi.BadRequestException
import dev.azmi.ConfigurationException
import dev.azmi.CredentialUnavailableException
import dev.azmi.EndpointException
import dev.azmi.IdentityNotFoundException
import dev.azmi.InvalidResponseException
import dev.azmi.ManagedIdentityCredential
import dev.azmi.ThrottledException
import dev.azmi.UnauthorizedException
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** Each stable code surfaces as its exception class, and no failure shows a token. */
class ErrorsTest {
    private inline fun <reified E : AzmiException> raised(block: () -> Unit): E {
        try {
            block()
        } catch (e: AzmiException) {
            assertTrue("expected ${E::class.simpleName}, got $e", e is E)
            return e as E
        }
        fail("expected ${E::class.simpleName}, nothing raised")
        throw AssertionError()
    }

    @Test
    fun unknownAndConflictingOptionsAreRefused() {
        Emulator.use("imds")
        val unknown = raised<ConfigurationException> { ManagedIdentityCredential(options = mapOf("client_idd" to "x")) }
        assertEquals("config", unknown.code)
        assertTrue(unknown.message!!, "client_idd" in unknown.message!!)
        val both = raised<ConfigurationException> { ManagedIdentityCredential(clientId = "a", objectId = "b") }
        assertEquals("config", both.code)
        val range = raised<ConfigurationException> { ManagedIdentityCredential(options = mapOf("max_retries" to "many")) }
        assertEquals("config", range.code)
        assertEquals(0, Emulator.requests().size)
    }

    @Test
    fun statusCodesMapToClasses() {
        val token = freshToken()
        val cases = listOf<Triple<String, String, (AzmiException) -> Boolean>>(
            Triple("bad_request", """{"kind": "status", "status": 400, "body": "{\"error\":\"invalid_resource\",\"error_description\":\"bad\"}"}""", { it is BadRequestException }),
            Triple("identity_not_found", "\"identity_not_found\"", { it is IdentityNotFoundException }),
            Triple("unauthorized", """{"kind": "status", "status": 401, "body": "{\"error\":\"unauthorized\"}"}""", { it is UnauthorizedException }),
            Triple("endpoint_error", """{"kind": "status", "status": 500}""", { it is EndpointException }),
            Triple("throttled", """{"kind": "throttle", "retry_after_secs": 0}""", { it is ThrottledException }),
            Triple("invalid_response", """{"kind": "missing_field", "field": "access_token"}""", { it is InvalidResponseException }),
        )
        for ((code, fault, isRight) in cases) {
            val emu = Emulator.use("imds")
            emu.fault("imds", *Array(8) { fault })
            val e = try {
                ManagedIdentityCredential(options = mapOf("max_retries" to 0, "source" to "imds")).use { it.getToken(ARM_SCOPE) }
                fail("$code: no exception"); throw AssertionError()
            } catch (e: AzmiException) { e }
            assertEquals("$code: $e", code, e.code)
            assertTrue("$code: class ${e.javaClass.simpleName}", isRight(e))
            assertEquals("imds", e.source)
            assertTrue(e.attempts.isNotEmpty())
            assertNoToken(e, token)
        }
    }

    @Test
    fun unavailable() {
        ProcessEnv.clean() // IMDS at a closed loopback port
        val e = raised<CredentialUnavailableException> {
            ManagedIdentityCredential(options = mapOf("deadline_ms" to 5000)).use { it.getToken(ARM_SCOPE) }
        }
        assertEquals("unavailable", e.code)
        assertFalse(e.toString().isEmpty())
    }

    /** A real token from the emulator, to look for in every failure. */
    private fun freshToken(): String {
        Emulator.use("imds")
        return ManagedIdentityCredential().use { it.getToken(ARM_SCOPE).token }
    }
}
