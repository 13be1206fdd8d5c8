//! `HubWithAuthorization` of the official functional-test app, on `/authorizedhub`.
//!
//! The whole hub needs a user, as `[Authorize]` on the official hub does: `main` mounts it with
//! [`Identity::authenticate`](crate::identity::Identity::authenticate) and
//! `HubOptions::require_authentication`, so negotiate and every transport request without a
//! token of ours get 401, and every connection that gets here has a user.

use signalr_runtime::{HubCx, hub};

/// ASP.NET Core's `ClaimTypes.NameIdentifier`, the claim that names the user in the official
/// app's tokens.
pub(crate) const NAME_IDENTIFIER: &str =
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";

/// The short name of the same claim, as JWTs spell it before .NET maps it.
const NAME: &str = "name";

/// What the official client's authorization tests call.
#[hub]
pub(crate) trait HubWithAuthorization {
    /// Returns `message` unchanged.
    async fn echo(&self, message: String) -> String;

    /// The caller's user id (the `NameIdentifier` claim), or `""`.
    async fn get_user_name_identifier(&self, cx: &HubCx) -> String;

    /// The value of the caller's claim `claim_type`, or `""` when it has none. Our tokens carry
    /// one claim, the user's id, under [`NAME_IDENTIFIER`] (or `name`); types match ignoring
    /// ASCII case, as .NET's `ClaimsPrincipal.FindFirst` does.
    async fn get_user_claim(&self, cx: &HubCx, claim_type: String) -> String;
}

/// The authorized hub. It keeps no state.
#[derive(Debug, Default)]
pub(crate) struct Authorized;

/// The caller's user id, or `""` for an anonymous caller (which `require_authentication` keeps
/// out, but the hub does not rely on it).
fn user_id(cx: &HubCx) -> String {
    cx.user().map(|user| user.id.clone()).unwrap_or_default()
}

/// Whether `claim_type` names the claim our users' ids are under.
fn is_name_claim(claim_type: &str) -> bool {
    [NAME_IDENTIFIER, NAME]
        .iter()
        .any(|name| claim_type.eq_ignore_ascii_case(name))
}

impl HubWithAuthorization for Authorized {
    async fn echo(&self, message: String) -> String {
        message
    }

    async fn get_user_name_identifier(&self, cx: &HubCx) -> String {
        user_id(cx)
    }

    async fn get_user_claim(&self, cx: &HubCx, claim_type: String) -> String {
        if is_name_claim(&claim_type) {
            user_id(cx)
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use signalr_runtime::contract::Manifest;

    use super::{HubWithAuthorizationContract, NAME_IDENTIFIER, is_name_claim};

    #[test]
    fn the_hub_has_the_official_methods() {
        let manifest = Manifest::new().with::<HubWithAuthorizationContract>();
        let names: Vec<&str> = manifest.hubs()[0]
            .methods
            .iter()
            .map(|method| method.name.as_str())
            .collect();
        assert_eq!(names, ["Echo", "GetUserNameIdentifier", "GetUserClaim"]);
    }

    #[test]
    fn the_user_id_is_the_name_identifier_claim() {
        assert!(is_name_claim(NAME_IDENTIFIER));
        assert!(is_name_claim(&NAME_IDENTIFIER.to_uppercase()));
        assert!(is_name_claim("name"));
        assert!(!is_name_claim("role"));
        assert!(!is_name_claim(""));
    }
}
