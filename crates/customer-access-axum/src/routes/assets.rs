//! The pages' style sheet and script, compiled in.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../assets/access.css");
const JS: &str = include_str!("../assets/access.js");

pub(super) async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], CSS)
}

pub(super) async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], JS)
}
