package dev.azmi.test

import com.google.gson.JsonElement
import com.google.gson.JsonObject
import com.google.gson.JsonParser
import com.sun.jna.Library
import com.sun.jna.Native
import java.io.ByteArrayInputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/** The variables that choose or reach an identity endpoint, or a proxy: cleared before each
 *  test, so nothing can reach a real endpoint (the same list as the Python tests'). */
val IDENTITY_VARS = listOf(
    "AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
    "APPSETTING_WEBSITE_SITE_NAME", "DEFAULT_IDENTITY_CLIENT_ID", "AZMI_ARC_KEY_DIR",
    "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST",
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
    "AZMI_ARM_ENDPOINT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
)

/** The process environment the native library reads (the JVM's own copy is read-only). */
object ProcessEnv {
    private interface LibC : Library {
        fun setenv(name: String, value: String, overwrite: Int): Int
        fun unsetenv(name: String): Int
    }

    private val libc: LibC = Native.load("c", LibC::class.java)

    fun set(name: String, value: String) = check(libc.setenv(name, value, 1) == 0) { "setenv $name" }

    fun unset(name: String) = check(libc.unsetenv(name) == 0) { "unsetenv $name" }

    /** No identity variable; anything that still fell through to IMDS goes to a closed
     *  loopback port, never to 169.254.169.254. */
    fun clean() {
        IDENTITY_VARS.forEach(::unset)
        set("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        set("NO_PROXY", "*")
    }

    fun setAll(vars: JsonObject) = vars.entrySet().forEach { (k, v) -> set(k, v.asString) }
}

/** One `azmi emulate` on loopback for the whole test run, started on first use. */
object Emulator {
    private val http: HttpClient = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY)
        .connectTimeout(Duration.ofSeconds(5)).build()
    private val process: Process
    val url: String
    val info: JsonObject

    init {
        val bin = System.getenv("AZMI_BIN")
            ?: error("AZMI_BIN must point at the azmi binary (cargo build --release -p azmi-cli)")
        val builder = ProcessBuilder(bin, "emulate", "--legacy-port", "0", "--duration", "900")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
        IDENTITY_VARS.forEach { builder.environment().remove(it) }
        process = builder.start()
        val out = process.inputStream.bufferedReader()
        var found: String? = null
        while (found == null) {
            val line = out.readLine() ?: break
            if ("identity endpoints and ARM:" in line) found = line.substringAfter(":").trim()
        }
        url = found ?: run { process.destroyForcibly(); error("azmi emulate did not print its URL") }
        check(url.startsWith("http://127.0.0.1:")) { url }
        // Keep draining its stdout so it never blocks on a full pipe.
        Thread { out.forEachLine { } }.apply { isDaemon = true }.start()
        info = call("GET", "/_emulator/info")!!.asJsonObject
        Runtime.getRuntime().addShutdownHook(Thread {
            // SIGTERM: the emulator removes its temp dirs (CA files, Arc keys) as it stops.
            process.destroy()
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly()
        })
    }

    fun call(method: String, path: String, body: String? = null): JsonElement? {
        val publisher = body?.let { HttpRequest.BodyPublishers.ofString(it) }
            ?: HttpRequest.BodyPublishers.noBody()
        val request = HttpRequest.newBuilder(URI.create(url + path)).method(method, publisher)
            .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10)).build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "$method $path: ${response.statusCode()}" }
        return response.body().takeIf { it.isNotBlank() }?.let(JsonParser::parseString)
    }

    fun reset() { call("POST", "/_emulator/reset") }

    /** The emulator's log of requests, those of `endpoint` only when given. */
    fun requests(endpoint: String? = null): List<JsonObject> =
        call("GET", "/_emulator/requests")!!.asJsonArray.map { it.asJsonObject }
            .filter { endpoint == null || it.get("endpoint")?.asString == endpoint }

    fun fault(endpoint: String, vararg faults: String) {
        call("POST", "/_emulator/faults",
            """{"endpoint": ${quote(endpoint)}, "faults": [${faults.joinToString(",")}]}""")
    }

    /** A clean environment pointed at `source`'s endpoint, after a reset. */
    fun use(source: String): Emulator {
        reset()
        ProcessEnv.clean()
        ProcessEnv.setAll(info.getAsJsonObject("env").getAsJsonObject(source))
        return this
    }

    /** As [use], and the ARM variables `azmi emulate --print-env` prints. */
    fun useArm(source: String): Emulator {
        use(source)
        ProcessEnv.setAll(info.getAsJsonObject("arm_env"))
        return this
    }

    fun identity(kind: String): JsonObject = info.getAsJsonArray("identities").map { it.asJsonObject }
        .first { it.get("kind").asString.replace("_", "").equals(kind.replace("_", ""), true) }

    /** An HTTP client that trusts the emulator's CA (its ARM is on https), and no proxy. */
    fun trustingClient(): HttpClient {
        val pem = info.get("ca_pem").asString.toByteArray()
        val cert = CertificateFactory.getInstance("X.509").generateCertificate(ByteArrayInputStream(pem))
        val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
            load(null, null)
            setCertificateEntry("azmi-emulator", cert)
        }
        val trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
            .apply { init(store) }
        val tls = SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
        return HttpClient.newBuilder().sslContext(tls).proxy(HttpClient.Builder.NO_PROXY)
            .connectTimeout(Duration.ofSeconds(5)).build()
    }

    private fun quote(s: String) = com.google.gson.JsonPrimitive(s).toString()
}

