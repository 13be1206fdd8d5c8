//! The guide: building a SignalR application with this crate, one topic per page.
//!
//! Each page is a Markdown file in the crate's `guide/` folder; every Rust example on it is
//! compiled (and the ones that need no server, run) as a doc test, so the guide stays true to
//! the code. Snippets for other languages and tools (JavaScript, TypeScript, C#, nginx, shell)
//! are shown as they are.
//!
//! | page | what it covers |
//! |---|---|
//! | [`hubs`] | declaring a hub, method shapes, errors, the caller's context, state, connects and disconnects, sending from outside a hub, options, filters |
//! | [`clients`] | connecting from JavaScript and TypeScript, Rust (feature `client`) and .NET |
//! | [`groups_and_users`] | every target, groups, and the users connections belong to |
//! | [`streaming`] | streams to the caller, cancellation, uploads from the caller |
//! | [`client_results`] | calling a client and waiting for its answer |
//! | [`auth`] | authentication, authorization by role and policy, JSON Web Tokens, origins and CORS |
//! | [`scale_out`] | several servers on one Redis backplane, and other backplanes |
//! | [`typescript`] | typed TypeScript proxies generated from the hub's contract |
//! | [`deployment`] | reverse proxies (nginx, Caddy), WebSocket upgrade headers, timeouts, sticky sessions, TLS, graceful shutdown and readiness |
//! | [`aspnet_core`] | ASP.NET Core SignalR's names and this crate's, and where they behave differently |

pub mod hubs {
    #![doc = include_str!("../guide/hubs.md")]
}

pub mod clients {
    #![doc = include_str!("../guide/clients.md")]
}

pub mod groups_and_users {
    #![doc = include_str!("../guide/groups_and_users.md")]
}

pub mod streaming {
    #![doc = include_str!("../guide/streaming.md")]
}

pub mod client_results {
    #![doc = include_str!("../guide/client_results.md")]
}

pub mod auth {
    #![doc = include_str!("../guide/auth.md")]
}

pub mod scale_out {
    #![doc = include_str!("../guide/scale_out.md")]
}

pub mod typescript {
    #![doc = include_str!("../guide/typescript.md")]
}

pub mod deployment {
    #![doc = include_str!("../guide/deployment.md")]
}

pub mod aspnet_core {
    #![doc = include_str!("../guide/aspnet_core.md")]
}
