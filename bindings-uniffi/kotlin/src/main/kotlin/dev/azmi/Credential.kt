package dev.azmi

import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import dev.azmi.ffi.AccessToken as NativeToken
import dev.azmi.ffi.ManagedIdentityCredential as NativeCredential
import dev.azmi.ffi.ScopedCredential as NativeScoped

/** An access token. [toString] never shows it: read [token] to put it in an `Authorization`
 *  header, nowhere else. */
class AccessToken internal constructor(private val native: NativeToken) {
    /** The token itself. */
    val token: String get() = native.secret()

    /** Usually `Bearer`. */
    val tokenType: String get() = native.tokenType()

    /** When the token stops working. */
    val expiresOn: Instant get() = Instant.ofEpochMilli(native.expiresOnMs().toLong())

    /** When azmi fetches a new one, before [expiresOn]. */
    val refreshOn: Instant get() = Instant.ofEpochMilli(native.refreshOnMs().toLong())

    /** The audience the endpoint says it issued the token for, if it said. */
    val resource: String? get() = native.resource()

    /** The managed identity source that issued it (`imds`, `app_service`, ...). */
    val source: String get() = native.source()

    override fun toString(): String = "AccessToken(token=***, expiresOn=$expiresOn, source=$source)"
}

/** Managed identity tokens for this machine, from whichever source it has (IMDS, App Service,
 *  Arc, ...). Many threads asking at once share one request; a cached token is served without
 *  I/O. At most one of [clientId], [objectId], [resourceId] picks a user-assigned identity;
 *  [options] takes any other option with the core's snake_case keys (`deadline_ms`, `source`,
 *  ...), unknown or conflicting ones are refused with a [ConfigurationException]. [env], when
 *  given, replaces the process environment. */
class ManagedIdentityCredential @JvmOverloads constructor(
    clientId: String? = null,
    objectId: String? = null,
    resourceId: String? = null,
    options: Map<String, Any?> = emptyMap(),
    env: Map<String, String>? = null,
) : AutoCloseable {
    internal val native: NativeCredential

    // One native handle per scope: a call then passes no string across the boundary (each
    // string argument is copied through a RustBuffer). Tokens stay in the native cache.
    private val scoped = ConcurrentHashMap<String, NativeScoped>()

    init {
        val all = LinkedHashMap(options)
        clientId?.let { all["client_id"] = it }
        objectId?.let { all["object_id"] = it }
        resourceId?.let { all["resource_id"] = it }
        native = native { NativeCredential(Json.write(all), env) }
    }

    /** A token for one scope (`https://management.azure.com/.default`) or resource. Blocks while
     *  fetching; a cached, fresh token comes back at once. */
    fun getToken(scope: String): AccessToken {
        val handle = scoped[scope] ?: native { scoped.computeIfAbsent(scope) { native.forScope(it) } }
        return AccessToken(native { handle.getToken() })
    }

    /** A token for a claims challenge (bypasses the cache). */
    fun getToken(scope: String, claims: String?): AccessToken =
        AccessToken(native { native.getToken(scope, claims) })

    /** The source this credential uses (`imds`, `app_service`, ...). */
    val source: String get() = native.source()

    /** Which source, and why, in one sentence. */
    fun explain(): String = native.explain()

    override fun close() {
        scoped.values.forEach { it.close() }
        scoped.clear()
        native.close()
    }

    override fun toString(): String = "ManagedIdentityCredential(source=$source, selector=${native.selector()})"

    companion object {
        /** A credential for the user-assigned identity with this client id (for Java). */
        @JvmStatic
        fun forClientId(clientId: String) = ManagedIdentityCredential(clientId = clientId)
    }
}
