import dev.azmi.AccessToken;
import dev.azmi.ArmClient;
import dev.azmi.AzmiException;
import dev.azmi.ConfigurationException;
import dev.azmi.ManagedIdentityCredential;

/** The binding from plain Java: a token, an ARM call, a typed refusal. Prints no token. */
public final class UsageFromJava {
    public static void main(String[] args) {
        String scope = "https://management.azure.com/.default";
        try (ManagedIdentityCredential credential = new ManagedIdentityCredential()) {
            AccessToken token = credential.getToken(scope);
            if (token.getToken().isEmpty() || token.toString().contains(token.getToken())) {
                throw new AssertionError("empty token, or one shown by toString");
            }
            System.out.println("source=" + credential.getSource() + " expiresOn=" + token.getExpiresOn());
            try (ArmClient arm = new ArmClient(credential)) {
                String subscriptions = arm.listSubscriptions();
                if (!subscriptions.startsWith("[")) throw new AssertionError("not a JSON array");
                System.out.println("subscriptions listed");
            }
        }
        try {
            new ManagedIdentityCredential("client", "object");
            throw new AssertionError("two selectors were accepted");
        } catch (ConfigurationException e) {
            System.out.println("refused: code=" + e.getCode());
        } catch (AzmiException e) {
            throw new AssertionError("wrong class: " + e);
        }
    }
}
