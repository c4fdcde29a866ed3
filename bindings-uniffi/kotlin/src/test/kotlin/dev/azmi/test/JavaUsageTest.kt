package dev.azmi.test

import java.io.File
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

/** UsageFromJava (compiled by javac against the jar) run in its own JVM with only the
 *  installed jars on its class path: the native library comes out of the jar through JNA. */
class JavaUsageTest {
    @Test
    fun javaCallsTheBinding() {
        val emu = Emulator.useArm("imds")
        val classpath = System.getProperty("azmi.java.classpath") ?: error("azmi.java.classpath is not set")
        val builder = ProcessBuilder(File(System.getProperty("java.home"), "bin/java").path, "-cp", classpath, "UsageFromJava")
            .redirectErrorStream(true)
        val env = builder.environment()
        IDENTITY_VARS.forEach { env.remove(it) }
        env.remove("LD_LIBRARY_PATH")
        emu.info.getAsJsonObject("env").getAsJsonObject("imds").entrySet().forEach { (k, v) -> env[k] = v.asString }
        emu.info.getAsJsonObject("arm_env").entrySet().forEach { (k, v) -> env[k] = v.asString }
        val process = builder.start()
        val output = process.inputStream.bufferedReader().readText()
        assertTrue("still running", process.waitFor(60, TimeUnit.SECONDS))
        assertEquals(output, 0, process.exitValue())
        assertTrue(output, "source=imds" in output)
        assertTrue(output, "subscriptions listed" in output)
        assertTrue(output, "refused: code=config" in output)
        assertFalse(output, "eyJ" in output) // no JWT-shaped token printed
        // One for the scope, one for the ARM client (the cloud's resource, another cache key).
        assertEquals(2, emu.requests("imds").size)
    }
}
