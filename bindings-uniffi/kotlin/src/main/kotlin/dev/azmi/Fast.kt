package dev.azmi

import com.sun.jna.Memory
import com.sun.jna.Native
import com.sun.jna.NativeLibrary
import com.sun.jna.Pointer
import java.lang.ref.Cleaner
import java.nio.charset.StandardCharsets.UTF_8
import dev.azmi.ffi.ScopedCredential as NativeScoped

/** The cached-token fast path (bindings-uniffi/src/fast.rs): one plain JNA direct call copies a
 *  fresh cached token into a per-thread buffer, instead of the generated code's argument
 *  buffers and handle bookkeeping (several microseconds per call). When nothing fresh is
 *  cached, the caller fetches through the generated `ScopedCredential.getToken()`. The cache
 *  decision is the native library's either way. */
internal object Fast {
    // The library the generated code loads (same name, same override property).
    private val library = NativeLibrary.getInstance(
        System.getProperty("uniffi.component.azmi_uniffi.libraryOverride") ?: "azmi_uniffi",
    )

    init {
        Native.register(Fast::class.java, library)
    }

    @JvmStatic external fun azmi_fast_cached(handle: Long, out: Pointer, cap: Long): Long

    @JvmStatic external fun azmi_fast_release(handle: Long)

    const val NOT_CACHED = -1L

    // The answer's layout: expires, refresh (u64), then the lengths of the token, its type and
    // its resource (u32, all ones for none), then those strings.
    private const val HEADER = 28L
    private const val NONE = -1

    private val buffers = ThreadLocal.withInitial { Memory(4096) }
    private val cleaner = Cleaner.create()

    /** One scope of a credential: the generated scoped credential, for fetches, and its fast
     *  handle, released once this object is unreachable (so no call can race its release). */
    class Scope(private val scoped: NativeScoped, private val source: String) {
        private val handle = scoped.fastHandle().toLong()

        init {
            val h = handle
            cleaner.register(this) { azmi_fast_release(h) }
        }

        /** The cached token, else one fetched (blocking). */
        fun getToken(): AccessToken {
            var buf = buffers.get()
            var n = azmi_fast_cached(handle, buf, buf.size())
            // Too small: grown to the size asked, again if a refresh brought a longer token.
            while (n > buf.size()) {
                buf = Memory(n).also { buffers.set(it) }
                n = azmi_fast_cached(handle, buf, buf.size())
            }
            if (n == NOT_CACHED) return AccessToken.of(native { scoped.getToken() })
            check(n >= 0) { "the azmi native library failed to read its cache" }
            return read(buf)
        }

        private fun read(buf: Memory): AccessToken {
            val t = buf.getInt(16)
            val y = buf.getInt(20)
            val r = buf.getInt(24)
            val token = String(buf.getByteArray(HEADER, t), UTF_8)
            val type = String(buf.getByteArray(HEADER + t, y), UTF_8)
            val resource = if (r == NONE) null else String(buf.getByteArray(HEADER + t + y, r), UTF_8)
            return AccessToken(token, type, buf.getLong(0), buf.getLong(8), resource, source)
        }
    }
}
