package dev.azmi.test

import com.google.gson.JsonArray
import com.google.gson.JsonElement
import com.google.gson.JsonNull
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import java.net.URI
import java.net.URLDecoder
import java.nio.charset.StandardCharsets

/** The shared vectors (tests/vectors/, schema in its README) run through a sans-IO surface: the
 *  same runner logic as the Python and Node adapters', over JSON values. */
class Mismatch(message: String) : AssertionError(message)

/** A configuration the surface refused, with its stable code. */
class Refused(val code: String, override val message: String) : Exception(message)

/** What the runner needs of the uniffi sans-IO surface; [Sansio] binds it to the library. */
interface SansioSurface {
    fun tokenFlow(config: JsonObject, env: JsonObject, nowMs: Long, arc: Boolean): TokenFlowPort
    fun detect(config: JsonObject, env: JsonObject, arc: Boolean): JsonObject
    fun cache(): CachePort
    fun armFlow(operation: JsonObject, nowMs: Long, config: JsonObject, cloud: JsonElement?): ArmFlowPort
    fun armResume(token: String, nowMs: Long, config: JsonObject, cloud: JsonElement?): ArmFlowPort
}

interface TokenFlowPort {
    fun poll(nowMs: Long): JsonObject
    fun handleResponse(id: Long, response: JsonObject, nowMs: Long)
    fun handleTransportError(id: Long, error: String, nowMs: Long)
    fun handleFile(id: Long, nowMs: Long, contents: String?, error: String?)
    fun handleEnv(env: JsonObject, arc: Boolean)
}

interface CachePort {
    fun lookup(key: JsonElement, nowMs: Long): JsonObject
    fun complete(ticket: JsonElement, result: JsonObject, nowMs: Long)
    fun pollWait(waiter: JsonElement, nowMs: Long): JsonObject
}

interface ArmFlowPort {
    fun poll(nowMs: Long): JsonObject
    fun handleResponse(id: Long, response: JsonObject, nowMs: Long)
    fun handleTransportError(id: Long, error: String, nowMs: Long)
    fun handleToken(result: JsonObject, nowMs: Long)
    fun continuationToken(): String?
}

const val DEFAULT_START = 1_700_000_000_000L

fun expect(what: String, want: Any?, got: Any?) {
    if (want != got) throw Mismatch("$what: expected $want, got $got")
}

class VectorRunner(private val s: SansioSurface) {
    fun run(case: JsonObject) = when (val kind = case.str("kind")) {
        "flow" -> runFlow(case)
        "detect" -> runDetect(case)
        "cache" -> runCache(case)
        "arm" -> runArm(case)
        else -> throw Mismatch("unknown kind $kind")
    }

    // --- token flows ---------------------------------------------------------------------------

    private fun runFlow(case: JsonObject) {
        var now = case.long("start_ms") ?: DEFAULT_START
        val arc = case.bool("arc_agent_installed")
        val flow = try {
            s.tokenFlow(case.obj("config"), case.obj("env"), now, arc)
        } catch (e: Refused) {
            return checkError(case.obj("outcome"), e.code, e.message, null)
        }
        case.arr("steps").forEachIndexed { i, step ->
            now = at("step $i") { flowStep(flow, step.asJsonObject, now, arc) }
        }
        val action = flow.poll(now)
        val done = action.getAsJsonObject("done") ?: throw Mismatch("after the last step expected done, got ${action.keySet()}")
        checkTokenOutcome(case.obj("outcome"), done)
    }

    private fun flowStep(flow: TokenFlowPort, step: JsonObject, now: Long, arc: Boolean): Long {
        if (step.has("env")) { flow.handleEnv(step.obj("env"), arc); return now }
        if (step.has("advance_ms")) return now + step.long("advance_ms")!!
        val action = flow.poll(now)
        if (step.has("send")) {
            return answer(action, step, now, flow::handleResponse, flow::handleTransportError)
        }
        if (step.has("wait_ms")) return takeWait(step, action, now)
        if (step.has("read_file")) {
            val read = action.getAsJsonObject("read_file") ?: throw Mismatch("expected read_file, got ${action.keySet()}")
            val want = step.obj("read_file")
            expect("read_file.path", want.str("path"), read.str("path"))
            if (want.has("max_bytes")) expect("read_file.max_bytes", want.long("max_bytes"), read.long("max_bytes"))
            val id = read.long("id")!!
            if (step.has("file")) flow.handleFile(id, now, step.str("file"), null)
            else flow.handleFile(id, now, null, step.str("file_error"))
            return now
        }
        throw Mismatch("unknown step $step")
    }

    /** Checks the send against the step, moves the clock, hands over the answer. */
    private fun answer(
        action: JsonObject, step: JsonObject, start: Long,
        respond: (Long, JsonObject, Long) -> Unit, fail: (Long, String, Long) -> Unit,
    ): Long {
        val send = action.getAsJsonObject("send") ?: throw Mismatch("expected send, got $action")
        checkSend(step.obj("send"), send)
        val now = start + (step.long("elapsed_ms") ?: 0)
        val id = send.long("id")!!
        if (step.has("response")) respond(id, step.obj("response"), now)
        else fail(id, step.str("transport_error")!!, now)
        return now
    }

    private fun takeWait(step: JsonObject, action: JsonObject, now: Long): Long {
        val until = action.long("wait_until_ms") ?: throw Mismatch("expected wait_until_ms, got ${action.keySet()}")
        val w = step.get("wait_ms")
        val (lo, hi) = if (w.isJsonArray) w.asJsonArray[0].asLong to w.asJsonArray[1].asLong else w.asLong to w.asLong
        if (until - now !in lo..hi) throw Mismatch("expected a wait of $lo..=$hi ms, got ${until - now} ms")
        return until
    }

    private fun checkSend(want: JsonObject, got: JsonObject) {
        val url = URI(got.str("url"))
        if (want.has("method")) expect("method", want.str("method"), got.str("method"))
        if (want.has("url")) {
            val port = if (url.port == -1) "" else ":${url.port}"
            expect("url", want.str("url"), "${url.scheme}://${url.host}$port${url.rawPath}")
        }
        if (want.has("query")) expect("query", strings(want.obj("query")), parseQuery(url.rawQuery))
        val body = got.get("body")?.takeUnless { it.isJsonNull }?.asString ?: ""
        when {
            want.has("form") -> expect("form", strings(want.obj("form")), parseQuery(body))
            want.has("json") -> expect("json body", want.get("json"), JsonParser.parseString(body))
            body.isNotEmpty() && want.has("method") -> throw Mismatch("unexpected body $body")
        }
        val headers = got.obj("headers").entrySet().associate { (k, v) -> k.lowercase() to v.asString }
        want.getAsJsonObject("headers")?.entrySet()?.forEach { (name, value) ->
            expect("header $name", value.asString, headers[name.lowercase()])
        }
        want.getAsJsonArray("absent_headers")?.forEach {
            if (it.asString.lowercase() in headers) throw Mismatch("header ${it.asString} must be absent")
        }
        if (want.has("timeout_ms")) expect("timeout_ms", want.long("timeout_ms"), got.long("timeout_ms"))
        if (want.has("tls_pin")) expect("tls_pin", want.get("tls_pin"), got.get("tls_pin") ?: JsonNull.INSTANCE)
    }

    private fun strings(o: JsonObject): Map<String, String> = o.entrySet().associate { (k, v) ->
        k to if (v.isJsonPrimitive && v.asJsonPrimitive.isString) v.asString else v.toString()
    }

    private fun parseQuery(q: String?): Map<String, String> {
        if (q.isNullOrEmpty()) return emptyMap()
        return q.split("&").filter { it.isNotEmpty() }.associate {
            val (k, v) = if ("=" in it) it.substringBefore("=") to it.substringAfter("=") else it to ""
            decode(k) to decode(v)
        }
    }

    private fun decode(s: String) = URLDecoder.decode(s, StandardCharsets.UTF_8)

    private fun checkTokenOutcome(want: JsonObject, done: JsonObject) {
        done.getAsJsonObject("error")?.let { e ->
            return checkError(want, e.str("code")!!, e.str("message")!!, e.arr("attempts").size())
        }
        val token = done.obj("token")
        val w = want.getAsJsonObject("token") ?: throw Mismatch("expected $want, got a token expiring at ${token.get("expires_on_ms")}")
        for (field in listOf("access_token", "token_type", "expires_on_ms", "refresh_on_ms", "resource")) {
            if (w.has(field)) expect(field, w.get(field), token.get(field) ?: JsonNull.INSTANCE)
        }
    }

    private fun checkError(want: JsonObject, code: String, message: String, attempts: Int?) {
        val w = want.getAsJsonObject("error") ?: throw Mismatch("expected $want, got error $code: $message")
        expect("error code", w.str("code"), code)
        if (w.has("attempts") && attempts != null) expect("attempts", w.long("attempts")!!.toInt(), attempts)
        w.getAsJsonArray("message_contains")?.forEach {
            if (it.asString !in message) throw Mismatch("message '$message' lacks '${it.asString}'")
        }
        w.getAsJsonArray("message_excludes")?.forEach {
            if (it.asString in message) throw Mismatch("message '$message' contains '${it.asString}'")
        }
    }

    // --- detection ---------------------------------------------------------------------------

    private fun runDetect(case: JsonObject) {
        val arc = case.bool("arc_agent_installed")
        val config = case.obj("config")
        val env = case.obj("env")
        val want = case.obj("outcome")
        if (want.has("error")) {
            // A detection that cannot resolve is a config error when the flow is built.
            val withResource = config.deepCopy().apply { addProperty("resource", "https://management.azure.com/") }
            try {
                s.tokenFlow(withResource, env, DEFAULT_START, arc)
            } catch (e: Refused) {
                return checkError(want, e.code, e.message, null)
            }
            throw Mismatch("expected the flow to be refused")
        }
        val got = s.detect(config, env, arc)
        expect("source", want.str("source"), got.str("source"))
        if (want.has("decided_by")) {
            expect("decided_by", want.arr("decided_by").map { it.asString }.toSet(), got.arr("decided_by").map { it.asString }.toSet())
        }
        if (want.has("forced")) expect("forced", want.get("forced"), got.get("forced"))
    }

    // --- the cache -----------------------------------------------------------------------------

    private fun runCache(case: JsonObject) {
        val start = case.long("start_ms") ?: DEFAULT_START
        val cache = s.cache()
        val tickets = HashMap<String, JsonElement>()
        val waiters = HashMap<String, JsonElement>()
        case.arr("ops").forEachIndexed { i, op ->
            val o = op.asJsonObject
            at("op $i") { cacheOp(cache, case.obj("keys"), o, start + (o.long("at_ms") ?: 0), start, tickets, waiters) }
        }
    }

    private fun cacheOp(
        cache: CachePort, keys: JsonObject, op: JsonObject, now: Long, start: Long,
        tickets: MutableMap<String, JsonElement>, waiters: MutableMap<String, JsonElement>,
    ) {
        when {
            op.has("lookup") -> {
                val got = cache.lookup(keys.get(op.str("lookup")), now)
                val want = op.str("expect")
                var kind = listOf("fresh", "stale", "fetch", "wait").first { got.has(it) && !got.get(it).isJsonNull }
                if (got.has("ticket") && !got.get("ticket").isJsonNull) kind = "stale_refresh"
                expect("lookup", want, kind)
                if (want in setOf("fresh", "stale", "stale_refresh")) {
                    val token = got.getAsJsonObject(if (got.has("fresh") && !got.get("fresh").isJsonNull) "fresh" else "stale")
                    expect("access_token", op.str("access_token"), token.str("access_token"))
                }
                if (want in setOf("fetch", "stale_refresh")) {
                    tickets[op.get("ticket").toString()] = if (want == "fetch") got.get("fetch") else got.get("ticket")
                }
                if (want == "wait") waiters[op.get("waiter").toString()] = got.get("wait")
            }
            op.has("complete") -> {
                val result = JsonObject()
                if (op.has("token")) {
                    val token = op.obj("token").deepCopy()
                    token.addProperty("expires_on_ms", token.long("expires_on_ms")!! + start)
                    token.long("refresh_on_ms")?.let { token.addProperty("refresh_on_ms", it + start) }
                    result.add("token", token)
                } else {
                    result.add("error", op.get("error")) // the wire form, handed over as the vector gives it
                }
                val ticket = tickets.remove(op.get("complete").toString()) ?: throw Mismatch("no ticket ${op.get("complete")}")
                cache.complete(ticket, result, now)
            }
            op.has("poll_wait") -> {
                val got = cache.pollWait(waiters[op.get("poll_wait").toString()]!!, now)
                val kind = got.keySet().first()
                expect("poll_wait", op.str("expect"), kind)
                if (kind == "token") expect("access_token", op.str("access_token"), got.obj("token").str("access_token"))
                if (kind == "error") expect("code", op.str("code"), got.obj("error").str("code"))
            }
            else -> throw Mismatch("unknown op $op")
        }
    }

    // --- ARM -----------------------------------------------------------------------------------

    private fun runArm(case: JsonObject) {
        val config = case.obj("config")
        val want = case.obj("outcome")
        val cloud = case.get("cloud")?.takeUnless { it.isJsonNull }
        var now = case.long("start_ms") ?: DEFAULT_START
        var flow = try {
            if (case.has("resume")) s.armResume(case.str("resume")!!, now, config, cloud)
            else s.armFlow(case.obj("operation"), now, config, cloud)
        } catch (e: Refused) {
            return checkError(want, e.code, e.message, null)
        }
        case.arr("steps").forEachIndexed { i, step ->
            at("step $i") {
                val (n, f) = armStep(flow, step.asJsonObject, now, config, cloud)
                now = n; flow = f
            }
        }
        val action = flow.poll(now)
        val done = action.getAsJsonObject("done") ?: throw Mismatch("after the last step expected done, got ${action.keySet()}")
        checkArmOutcome(want, done)
    }

    private fun armStep(flow: ArmFlowPort, step: JsonObject, now: Long, config: JsonObject, cloud: JsonElement?): Pair<Long, ArmFlowPort> {
        if (step.has("advance_ms")) return now + step.long("advance_ms")!! to flow
        if (step.has("continuation")) {
            val token = flow.continuationToken() ?: throw Mismatch("no continuation token")
            return now to s.armResume(token, now, config, cloud)
        }
        val action = flow.poll(now)
        if (step.has("token")) {
            val need = action.getAsJsonObject("need_token") ?: throw Mismatch("expected need_token, got ${action.keySet()}")
            val want = step.obj("token")
            expect("token resource", want.str("resource"), need.str("resource"))
            expect("token refresh", want.get("refresh")?.asBoolean ?: false, need.get("refresh").asBoolean)
            val result = JsonObject()
            if (step.has("give")) {
                result.add("token", JsonObject().apply {
                    addProperty("access_token", step.str("give"))
                    addProperty("expires_on_ms", now + 3_600_000)
                    addProperty("refresh_on_ms", now + 3_300_000)
                })
            } else {
                result.add("error", step.get("give_error")) // the wire form, verbatim
            }
            flow.handleToken(result, now)
            return now to flow
        }
        if (step.has("send")) return answer(action, step, now, flow::handleResponse, flow::handleTransportError) to flow
        if (step.has("wait_ms")) return takeWait(step, action, now) to flow
        throw Mismatch("unknown step $step")
    }

    private fun checkArmOutcome(want: JsonObject, done: JsonObject) {
        done.getAsJsonObject("error")?.let { return checkArmError(want, it) }
        when {
            done.has("response") -> {
                val r = done.obj("response")
                val w = want.getAsJsonObject("response") ?: throw Mismatch("expected $want, got a response ${r.get("status")}")
                if (w.has("status")) expect("status", w.get("status"), r.get("status"))
                if (w.has("body")) expect("body", w.get("body"), r.get("body"))
                checkExtras(want, r)
            }
            done.has("items") -> { expect("items", want.get("items"), done.get("items")); checkExtras(want, done.obj("last")) }
            done.has("exists") -> { expect("exists", want.get("exists"), done.get("exists")); checkExtras(want, done.obj("last")) }
            else -> expect("cloud", want.get("cloud"), done.get("cloud"))
        }
    }

    private fun checkExtras(want: JsonObject, last: JsonObject) {
        want.getAsJsonObject("rate_limits")?.entrySet()?.forEach { (name, value) ->
            expect("rate limit $name", value, last.obj("rate_limits").get(name))
        }
        if (want.has("request_id")) expect("request_id", want.get("request_id"), last.get("request_id"))
    }

    private fun checkArmError(want: JsonObject, e: JsonObject) {
        checkError(want, e.str("code")!!, e.str("message")!!, null)
        val w = want.obj("error")
        for (field in listOf("status", "arm_code", "target", "details_count", "request_id", "correlation_id")) {
            if (w.has(field)) expect(field, w.get(field), e.get(field) ?: JsonNull.INSTANCE)
        }
    }

    private inline fun <T> at(where: String, block: () -> T): T =
        try { block() } catch (e: Mismatch) { throw Mismatch("$where: ${e.message}") }
}

fun JsonObject.str(name: String): String? = get(name)?.takeUnless { it.isJsonNull }?.asString
fun JsonObject.long(name: String): Long? = get(name)?.takeUnless { it.isJsonNull }?.asLong
fun JsonObject.bool(name: String): Boolean = get(name)?.takeUnless { it.isJsonNull }?.asBoolean ?: false
fun JsonObject.obj(name: String): JsonObject = getAsJsonObject(name) ?: JsonObject()
fun JsonObject.arr(name: String): JsonArray = getAsJsonArray(name) ?: JsonArray()

