package dev.azmi.test

import com.google.gson.JsonParser
import java.io.File
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.junit.runners.Parameterized

/** Every shared vector in tests/vectors/ through the uniffi sans-IO surface, from Kotlin. */
@RunWith(Parameterized::class)
class VectorsTest(private val name: String, private val file: File) {
    @Test
    fun vector() = VectorRunner(Sansio).run(JsonParser.parseString(file.readText()).asJsonObject)

    companion object {
        val dir = File(System.getProperty("azmi.vectors") ?: "../../tests/vectors")

        @JvmStatic
        @Parameterized.Parameters(name = "{0}")
        fun files(): List<Array<Any>> {
            val files = dir.listFiles { f -> f.name.endsWith(".json") }.orEmpty().sortedBy { it.name }
            val least = System.getProperty("azmi.vectors.min")?.toInt() ?: 300
            assertTrue("only ${files.size} vectors in $dir", files.size >= least)
            return files.map { arrayOf(it.nameWithoutExtension, it) }
        }
    }
}
