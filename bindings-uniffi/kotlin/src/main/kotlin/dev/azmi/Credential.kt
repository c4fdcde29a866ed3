package dev.azmi

import java.time.Instant
import java.util.concurrent.ConcurrentHashMap
import dev.azmi.ffi.AccessToken as NativeToken
import dev.azmi.ffi.ManagedIdentityCredential as NativeCredential

/** An access token. [toString] never shows it: read [token] to put it in an `Authorization`
 *  header, nowhere else. */
class AccessToken internal constructor(
    /** The token itself. */
    val token: String,
    /** Usually `Bearer`. */
    val tokenType: String,
    private val expiresOnMs: Long,
    private val refreshOnMs: Long,
    /** The audience the endpoint says it issued the token for, if it said. */
    val resource: String?,
    /** The managed identity source that issued it (`imds`, `app_service`, ...). */
    val source: String,
) {
    /** When the token stops working. */
    val expiresOn: Instant get() = Instant.ofEpochMilli(expiresOnMs)

    /** When azmi fetches a new one, before [expiresOn]. */
    val refreshOn: Instant get() = Instant.ofEpochMilli(refreshOnMs)

    override fun toString(): String = "AccessToken(token=***, expiresOn=$expiresOn, source=$source)"

    internal companion object {
        /** From the generated token object (a fetch). */
        fun of(native: NativeToken) = native.use {
            AccessToken(it.secret(), it.tokenType(), it.expiresOnMs().toLong(), it.refreshOnMs().toLong(),
                it.resource(), it.source())
        }
    }
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

    // Each scope asked for, bound once (Fast.Scope): a cached call then passes no string and
    // goes through one plain JNA call. Handles only; the tokens stay in the native cache.
    private val scoped = ConcurrentHashMap<String, Fast.Scope>()

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
        val handle = scoped[scope] ?: native { scoped.computeIfAbsent(scope) { Fast.Scope(native.forScope(it), source) } }
        return handle.getToken()
    }

    /** A token for a claims challenge (bypasses the cache). */
    fun getToken(scope: String, claims: String?): AccessToken =
        AccessToken.of(native { native.getToken(scope, claims) })

    /** The source this credential uses (`imds`, `app_service`, ...). */
    val source: String get() = native.source()

    /** Which source, and why, in one sentence. */
    fun explain(): String = native.explain()

    override fun close() {
        // The scopes' handles are released when no call holds them any more (Fast.Scope).
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
