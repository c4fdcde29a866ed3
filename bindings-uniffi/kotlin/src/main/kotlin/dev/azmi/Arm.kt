package dev.azmi

import dev.azmi.ffi.ArmProgress
import dev.azmi.ffi.ProgressListener
import dev.azmi.ffi.ArmClient as NativeArm

/** How a long-running operation is doing: the status of the last poll, the state ARM reported,
 *  how long azmi waits before the next poll, and how many polls came before. */
data class Progress(val status: Int, val state: String?, val waitMs: Long, val polls: Int)

/** Azure Resource Manager calls with [credential]'s tokens. Results are ARM's JSON, as text.
 *  [options]: `cloud`, `arm_endpoint`, `arm_resource`, `deadline_ms`; without them the
 *  credential's cloud (`AZMI_ARM_ENDPOINT` included). */
class ArmClient @JvmOverloads constructor(
    credential: ManagedIdentityCredential,
    options: Map<String, Any?> = emptyMap(),
) : AutoCloseable {
    private val native: NativeArm =
        native { NativeArm(credential.native, if (options.isEmpty()) null else Json.write(options)) }

    /** The Resource Manager endpoint. */
    val endpoint: String get() = native.endpoint()

    /** Every subscription the identity can see, as a JSON array. */
    fun listSubscriptions(): String = native { native.listSubscriptions() }

    /** The subscription's resource groups, as a JSON array. */
    fun listResourceGroups(subscriptionId: String): String = native { native.listResourceGroups(subscriptionId) }

    /** Creates (or updates) a resource group; returns it as JSON. */
    @JvmOverloads
    fun createResourceGroup(subscriptionId: String, name: String, location: String, tags: Map<String, String>? = null): String =
        native { native.createResourceGroup(subscriptionId, name, location, tags) }

    /** Deletes a resource group and waits until ARM says it is gone; [progress] is told after
     *  each poll and stops the operation by returning false. */
    @JvmOverloads
    fun deleteResourceGroup(subscriptionId: String, name: String, progress: ((Progress) -> Boolean)? = null) =
        native { native.deleteResourceGroup(subscriptionId, name, progress?.let(::listener)) }

    /** Any ARM request: `path` under the endpoint, its `api-version`, an optional JSON body;
     *  `paged` follows `nextLink`s, `lro` waits for a long-running operation. */
    @JvmOverloads
    fun request(method: String, path: String, apiVersion: String, body: String? = null, paged: Boolean = false, lro: Boolean = false): String =
        native { native.request(method, path, apiVersion, body, paged, lro, null) }

    override fun close() = native.close()

    override fun toString(): String = "ArmClient(endpoint=$endpoint)"

    private fun listener(f: (Progress) -> Boolean) = object : ProgressListener {
        override fun onProgress(progress: ArmProgress): Boolean =
            f(Progress(progress.status.toInt(), progress.state, progress.waitMs.toLong(), progress.polls.toInt()))
    }
}
