package dev.azmi.test

import dev.azmi.ManagedIdentityCredential
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** Many JVM threads asking at once on a cold cache share one endpoint request. */
class ConcurrencyTest {
    @Test
    fun fiftyThreadsOneRequest() {
        val emu = Emulator.use("imds")
        // A slow answer, so every thread asks while the one request is still out.
        emu.fault("imds", """{"kind": "latency", "ms": 300}""")
        val threads = 50
        ManagedIdentityCredential().use { cred ->
            val barrier = CyclicBarrier(threads)
            val pool = Executors.newFixedThreadPool(threads)
            try {
                val futures = (1..threads).map {
                    pool.submit<String> { barrier.await(10, TimeUnit.SECONDS); cred.getToken(ARM_SCOPE).token }
                }
                val tokens = futures.map { it.get(30, TimeUnit.SECONDS) }
                assertEquals(threads, tokens.size)
                assertEquals("every thread got the same token", 1, tokens.toSet().size)
                assertTrue(tokens[0].isNotEmpty())
            } finally {
                pool.shutdownNow()
            }
        }
        assertEquals(1, emu.requests("imds").size)
    }
}
