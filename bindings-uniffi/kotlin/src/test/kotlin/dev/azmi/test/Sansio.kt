package dev.azmi.test

import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import dev.azmi.ffi.AzmiException

/** The runner's ports bound to the uniffi sans-IO surface (JSON text in and out). */
object Sansio : SansioSurface {
    private fun parse(text: String): JsonObject = JsonParser.parseString(text).asJsonObject

    /** A refusal keeps its stable code; anything else is a failure of the test. */
    private inline fun <T> refusable(call: () -> T): T = try {
        call()
    } catch (e: AzmiException.Failure) {
        throw Refused(e.code, e.reason)
    }

    override fun tokenFlow(config: JsonObject, env: JsonObject, nowMs: Long, arc: Boolean): TokenFlowPort {
        val flow = refusable { dev.azmi.ffi.TokenFlow(config.toString(), env.toString(), nowMs.toULong(), arc) }
        return object : TokenFlowPort {
            override fun poll(nowMs: Long) = parse(flow.poll(nowMs.toULong()))
            override fun handleResponse(id: Long, response: JsonObject, nowMs: Long) =
                flow.handleResponse(id.toULong(), response.toString(), nowMs.toULong())
            override fun handleTransportError(id: Long, error: String, nowMs: Long) =
                flow.handleTransportError(id.toULong(), error, nowMs.toULong())
            override fun handleFile(id: Long, nowMs: Long, contents: String?, error: String?) =
                flow.handleFile(id.toULong(), nowMs.toULong(), contents, error)
            override fun handleEnv(env: JsonObject, arc: Boolean) = flow.handleEnv(env.toString(), arc)
        }
    }

    override fun detect(config: JsonObject, env: JsonObject, arc: Boolean): JsonObject =
        parse(dev.azmi.ffi.detect(config.toString(), env.toString(), arc))

    override fun cache(): CachePort {
        val cache = dev.azmi.ffi.TokenCache()
        return object : CachePort {
            override fun lookup(key: JsonElement, nowMs: Long) = parse(cache.lookup(key.toString(), nowMs.toULong()))
            override fun complete(ticket: JsonElement, result: JsonObject, nowMs: Long) =
                cache.complete(ticket.asLong.toULong(), result.toString(), nowMs.toULong())
            override fun pollWait(waiter: JsonElement, nowMs: Long) =
                parse(cache.pollWait(waiter.asLong.toULong(), nowMs.toULong()))
        }
    }

    override fun armFlow(operation: JsonObject, nowMs: Long, config: JsonObject, cloud: JsonElement?) =
        arm(refusable { dev.azmi.ffi.ArmFlow(operation.toString(), nowMs.toULong(), config.toString(), cloud?.toString()) })

    override fun armResume(token: String, nowMs: Long, config: JsonObject, cloud: JsonElement?) =
        arm(refusable { dev.azmi.ffi.ArmFlow.resume(token, nowMs.toULong(), config.toString(), cloud?.toString()) })

    private fun arm(flow: dev.azmi.ffi.ArmFlow) = object : ArmFlowPort {
        override fun poll(nowMs: Long) = parse(flow.poll(nowMs.toULong()))
        override fun handleResponse(id: Long, response: JsonObject, nowMs: Long) =
            flow.handleResponse(id.toULong(), response.toString(), nowMs.toULong())
        override fun handleTransportError(id: Long, error: String, nowMs: Long) =
            flow.handleTransportError(id.toULong(), error, nowMs.toULong())
        override fun handleToken(result: JsonObject, nowMs: Long) = flow.handleToken(result.toString(), nowMs.toULong())
        override fun continuationToken(): String? = flow.continuationToken()
    }
}
