package dev.azmi.test

import dev.azmi.ArmClient
import dev.azmi.ArmNotFoundException
import dev.azmi.AzmiException
import dev.azmi.ManagedIdentityCredential
import dev.azmi.Progress
import com.google.gson.JsonParser
import java.net.URI
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.time.Instant
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test

const val ARM_SCOPE = "https://management.azure.com/.default"

/** The emulator end to end from Kotlin: tokens from IMDS and App Service, then ARM through the
 *  binding and through plain java.net.http with the token. */
class EmulatorTest {
    @Test
    fun imdsTokenThenArm() {
        val emu = Emulator.useArm("imds")
        ManagedIdentityCredential().use { cred ->
            assertEquals("imds", cred.source)
            val token = cred.getToken(ARM_SCOPE)
            assertTrue(token.token.length > 20)
            assertEquals("imds", token.source)
            assertTrue(token.expiresOn.isAfter(Instant.now()))
            assertTrue(token.refreshOn.isBefore(token.expiresOn))
            assertFalse(token.token in token.toString())
            assertFalse(token.token in cred.toString())
            assertEquals(1, emu.requests("imds").size)

            ArmClient(cred).use { arm ->
                assertEquals(emu.info.get("arm_env").asJsonObject.get("AZMI_ARM_ENDPOINT").asString, arm.endpoint)
                val subs = JsonParser.parseString(arm.listSubscriptions()).asJsonArray
                assertTrue("no subscription", subs.size() > 0)
                val sub = subs[0].asJsonObject.get("subscriptionId").asString

                val created = JsonParser.parseString(
                    arm.createResourceGroup(sub, "azmi-jvm-rg", "westeurope", mapOf("by" to "kotlin"))).asJsonObject
                assertEquals("azmi-jvm-rg", created.get("name").asString)
                assertTrue(groupNames(arm, sub).contains("azmi-jvm-rg"))

                val seen = ArrayList<Progress>()
                arm.deleteResourceGroup(sub, "azmi-jvm-rg") { seen.add(it); true }
                assertFalse(groupNames(arm, sub).contains("azmi-jvm-rg"))
                seen.forEach { assertTrue(it.status in 200..299) }

                // The same ARM with plain java.net.http and the token, trusting the emulator's CA.
                val response = Emulator.trustingClient().send(
                    HttpRequest.newBuilder(URI.create("${arm.endpoint}/subscriptions?api-version=2022-12-01"))
                        .header("Authorization", "Bearer ${cred.getToken(ARM_SCOPE).token}")
                        .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString())
                assertEquals(200, response.statusCode())
                val plain = JsonParser.parseString(response.body()).asJsonObject.getAsJsonArray("value")
                assertEquals(subs.size(), plain.size())
                assertEquals(sub, plain[0].asJsonObject.get("subscriptionId").asString)
            }
        }
        // Two token requests: one for the scope (resource `https://management.azure.com`), one
        // for the ARM client's resource (`https://management.azure.com/`, the cloud's audience,
        // a different cache key); the second getToken(scope) came from the cache.
        val resources = emu.requests("imds").map { it.get("path").asString.substringAfter("resource=") }
        assertEquals(listOf("https%3A%2F%2Fmanagement.azure.com", "https%3A%2F%2Fmanagement.azure.com%2F"), resources)
    }

    @Test
    fun appServiceToken() {
        val emu = Emulator.use("app_service")
        ManagedIdentityCredential().use { cred ->
            assertEquals("app_service", cred.source)
            val token = cred.getToken(ARM_SCOPE)
            assertEquals("app_service", token.source)
            assertTrue(token.expiresOn.isAfter(Instant.now()))
        }
        assertEquals(1, emu.requests("app_service").size)
        assertEquals(0, emu.requests("imds").size)
    }

    /** The first token comes from the fetch, the next ones through the fast path (Fast.kt): the
     *  same fields, on this thread and on a new one (its own buffer). */
    @Test
    fun aCachedTokenHasTheFetchedTokensFields() {
        val emu = Emulator.use("imds")
        ManagedIdentityCredential().use { cred ->
            fun fields(t: dev.azmi.AccessToken) =
                listOf(t.token, t.tokenType, t.expiresOn, t.refreshOn, t.resource, t.source)
            val fetched = fields(cred.getToken(ARM_SCOPE))
            assertEquals("https://management.azure.com", fetched[4])
            assertEquals(fetched, fields(cred.getToken(ARM_SCOPE)))
            var other: List<Any?>? = null
            Thread { other = fields(cred.getToken(ARM_SCOPE)) }.apply { start(); join() }
            assertEquals(fetched, other)
        }
        assertEquals(1, emu.requests("imds").size)
    }

    @Test
    fun userAssignedByClientId() {
        val emu = Emulator.use("imds")
        val ident = emu.identity("user_assigned")
        val clientId = ident.get("client_id").asString
        ManagedIdentityCredential(clientId = clientId).use { cred ->
            assertNotNull(cred.getToken(ARM_SCOPE).token)
        }
        val path = emu.requests("imds").single().get("path").asString
        assertTrue(path, "client_id=$clientId" in path)
    }

    @Test
    fun armNotFoundIsTyped() {
        Emulator.useArm("imds")
        ManagedIdentityCredential().use { cred ->
            ArmClient(cred).use { arm ->
                val sub = JsonParser.parseString(arm.listSubscriptions()).asJsonArray[0].asJsonObject.get("subscriptionId").asString
                val e = try {
                    arm.request("GET", "/subscriptions/$sub/resourcegroups/azmi-jvm-absent", "2021-04-01")
                    null
                } catch (e: ArmNotFoundException) { e }
                assertNotNull("expected ArmNotFoundException", e)
                assertEquals("not_found", e!!.code)
                assertEquals(404, e.statusCode)
                assertEquals("ResourceGroupNotFound", e.errorCode)
                assertNoToken(e, cred.getToken(ARM_SCOPE).token)
            }
        }
    }

    private fun groupNames(arm: ArmClient, sub: String) =
        JsonParser.parseString(arm.listResourceGroups(sub)).asJsonArray.map { it.asJsonObject.get("name").asString }
}

/** Neither the exception's message, its toString nor its stack's causes show the token. */
fun assertNoToken(e: AzmiException, token: String) {
    var t: Throwable? = e
    while (t != null) {
        assertFalse("token in message", token in (t.message ?: ""))
        assertFalse("token in toString", token in t.toString())
        t = t.cause
    }
}
