//! An example plugin: it gets an Azure Resource Manager token from the identity its host
//! grants under the name `arm`, through the draft `wasi:identity` interface, and lists the
//! resource groups it can see through WASI 0.2 outgoing HTTP.

mod arm;

wit_bindgen::generate!({ world: "plugin", path: "wit", generate_all });

// The world `use`s `access-token` and `error`: the generated root has them.
use wasi::identity::credentials::get_identity;

/// The scope of Azure Resource Manager.
const ARM_SCOPE: &str = "https://management.azure.com/.default";

struct Plugin;

impl Guest for Plugin {
    async fn list_resource_groups(arm_endpoint: String) -> Result<Vec<String>, String> {
        let token = token_for("arm", vec![ARM_SCOPE.to_owned()]).await.map_err(describe)?;
        arm::resource_group_ids(&arm_endpoint, &token.token)
    }

    async fn arm_token() -> Result<u64, String> {
        let token = token_for("arm", vec![ARM_SCOPE.to_owned()]).await.map_err(describe)?;
        Ok(token.expires_in)
    }

    async fn token(name: String, scopes: Vec<String>) -> Result<AccessToken, Error> {
        token_for(&name, scopes).await
    }

    async fn repeat_token(name: String, scopes: Vec<String>, count: u32) -> Result<u64, Error> {
        let identity = get_identity(name).await?;
        let mut expires_in = 0;
        for _ in 0..count {
            expires_in = identity.get_token(scopes.clone()).await?.expires_in;
        }
        Ok(expires_in)
    }
}

async fn token_for(name: &str, scopes: Vec<String>) -> Result<AccessToken, Error> {
    let identity = get_identity(name.to_owned()).await?;
    identity.get_token(scopes).await
}

/// The host's error as text: `no-such-identity`, or the `"<code>: <message>"` it sent.
fn describe(error: Error) -> String {
    match error {
        Error::NoSuchIdentity => "no-such-identity".to_owned(),
        Error::InternalFailure(message) => message,
    }
}

export!(Plugin);
