//! The ready-made routes: HTML pages ([`pages`]) and the same flows as JSON ([`api`]) for
//! single-page apps and the iPad client, sharing the session steps in [`steps`].

mod api;
mod assets;
mod forms;
mod pages;
mod steps;

use axum::Router;
use axum::routing::{get, post};
use customer_access::{Clock, Mailer, Store};

use crate::access::CustomerAccess;

/// Every route of the crate, at the configured paths, with `access` as their state.
pub(crate) fn router<S: Store, M: Mailer, C: Clock>(access: CustomerAccess<S, M, C>) -> Router {
    let p = access.paths().clone();
    Router::new()
        .route(&p.login(), get(pages::login_page::<S, M, C>).post(pages::login::<S, M, C>))
        .route(&p.logout(), post(pages::logout))
        .route(&p.forgot(), get(pages::forgot_page::<S, M, C>).post(pages::forgot::<S, M, C>))
        .route(&p.set_password(), get(pages::set_password_page::<S, M, C>).post(pages::set_password::<S, M, C>))
        .route(
            &p.change_password(),
            get(pages::change_password_page::<S, M, C>).post(pages::change_password::<S, M, C>),
        )
        .route(&format!("{}/access.css", p.assets()), get(assets::css))
        .route(&format!("{}/access.js", p.assets()), get(assets::js))
        .route(&p.api("session"), get(api::session::<S, M, C>))
        .route(&p.api("login"), post(api::login::<S, M, C>))
        .route(&p.api("logout"), post(api::logout))
        .route(&p.api("forgot"), post(api::forgot::<S, M, C>))
        .route(&p.api("set-password"), post(api::set_password::<S, M, C>))
        .route(&p.api("change-password"), post(api::change_password::<S, M, C>))
        .with_state(access)
}
