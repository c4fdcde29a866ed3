package dev.azmi

/** The options' JSON text: strings, numbers, booleans, null, lists and maps. Only written,
 *  never parsed, so the jar needs no JSON library. */
internal object Json {
    fun write(value: Any?): String = StringBuilder().also { append(it, value) }.toString()

    private fun append(out: StringBuilder, value: Any?) {
        when (value) {
            null -> out.append("null")
            is String -> string(out, value)
            is Boolean, is Int, is Long, is Short, is Byte -> out.append(value.toString())
            is Double, is Float -> {
                val d = (value as Number).toDouble()
                require(d.isFinite()) { "a JSON number must be finite, got $d" }
                out.append(d.toString())
            }
            is Map<*, *> -> {
                out.append('{')
                value.entries.forEachIndexed { i, (k, v) ->
                    if (i > 0) out.append(',')
                    string(out, k as? String ?: throw IllegalArgumentException("option names are strings, got $k"))
                    out.append(':')
                    append(out, v)
                }
                out.append('}')
            }
            is Iterable<*> -> {
                out.append('[')
                value.forEachIndexed { i, v -> if (i > 0) out.append(','); append(out, v) }
                out.append(']')
            }
            else -> throw IllegalArgumentException("an option value must be a string, number, boolean, list or map, not ${value.javaClass.name}")
        }
    }

    private fun string(out: StringBuilder, s: String) {
        out.append('"')
        for (c in s) when {
            c == '"' -> out.append("\\\"")
            c == '\\' -> out.append("\\\\")
            c < ' ' -> out.append(String.format("\\u%04x", c.code))
            else -> out.append(c)
        }
        out.append('"')
    }
}
