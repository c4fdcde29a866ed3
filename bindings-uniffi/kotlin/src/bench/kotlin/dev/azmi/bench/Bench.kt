package dev.azmi.bench

import dev.azmi.ManagedIdentityCredential

/** The Kotlin row of bindings-uniffi/bench/compare.sh, run in a fresh JVM whose identity
 *  variables point at `azmi emulate`: one tab-separated line `kotlin (JVM)`, a cached
 *  getToken(scope).token call (µs, as the native row reads the token too), the cold first token
 *  (ms), and the library's load (ms: the first call into it in this JVM, JNA extracting it from
 *  the jar and binding it). */
const val SCOPE = "https://management.azure.com/.default"

fun main(args: Array<String>) {
    val iterations = args.firstOrNull()?.toInt() ?: 100_000
    var started = System.nanoTime()
    val credential = ManagedIdentityCredential()
    val loadMs = (System.nanoTime() - started) / 1e6
    credential.use { c ->
        started = System.nanoTime()
        c.getToken(SCOPE)
        val coldMs = (System.nanoTime() - started) / 1e6
        // Several timed runs; the best, as the first ones also warm the JIT.
        var sink = 0
        var bestNs = Double.MAX_VALUE
        repeat(5) {
            val t = System.nanoTime()
            repeat(iterations) { sink += c.getToken(SCOPE).token.length }
            bestNs = minOf(bestNs, (System.nanoTime() - t).toDouble() / iterations)
        }
        check(sink > 0)
        println("kotlin (JVM)\t%.3f\t%.1f\t%.1f".format(bestNs / 1000, coldMs, loadMs))
    }
}
