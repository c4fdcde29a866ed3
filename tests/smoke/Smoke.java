import dev.azmi.AccessToken;
import dev.azmi.ArmClient;
import dev.azmi.ManagedIdentityCredential;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The release smoke test, JVM form: the azmi jar (with only JNA beside it on the class path) gets
 * a token for ARM, lists the subscriptions, creates a resource group, sees it listed, deletes it
 * (long-running) and sees it gone. Run under `azmi emulate --source imds`. Prints
 * `smoke ok: jvm <arch>`; on failure, says what and exits 1. No JSON library: a pattern reads
 * the two fields it needs.
 */
public final class Smoke {
    public static void main(String[] args) {
        try {
            run();
        } catch (RuntimeException | AssertionError e) {
            System.err.println("smoke failed: jvm: " + e);
            System.exit(1);
        }
        System.out.println("smoke ok: jvm " + System.getProperty("os.arch"));
    }

    private static void run() {
        try (ManagedIdentityCredential credential = new ManagedIdentityCredential();
                ArmClient arm = new ArmClient(credential)) {
            AccessToken token = credential.getToken("https://management.azure.com/.default");
            check(token.getToken().length() >= 20, "a token of " + token.getToken().length() + " characters");
            check(!token.toString().contains(token.getToken()), "toString shows the token");

            Matcher sub = Pattern.compile("\"subscriptionId\"\\s*:\\s*\"([^\"]+)\"").matcher(arm.listSubscriptions());
            check(sub.find(), "no subscription listed");
            String subscription = sub.group(1);
            String group = "azmi-smoke-jvm-" + ProcessHandle.current().pid();
            Pattern named = Pattern.compile("\"name\"\\s*:\\s*\"" + Pattern.quote(group) + "\"");
            arm.createResourceGroup(subscription, group, "westeurope", null);
            check(named.matcher(arm.listResourceGroups(subscription)).find(), "resource group " + group + " is not listed after creation");
            arm.deleteResourceGroup(subscription, group, null);
            check(!named.matcher(arm.listResourceGroups(subscription)).find(), "resource group " + group + " is still listed after its deletion");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }
}
