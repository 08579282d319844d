//! Request parts the JSON routes read, refused as JSON (`{"error": "invalid_input",
//! "detail": ...}`, 422; 415 `unsupported_media_type` for a body that is not JSON) rather
//! than axum's plain-text rejections, and before any work. Bodies name their fields exactly:
//! an unknown field is refused (`deny_unknown_fields` on each body type), so a client that
//! believes a field does something learns that it does not.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A refused request part.
#[derive(Debug)]
pub(crate) struct Invalid {
    status: StatusCode,
    code: &'static str,
    detail: String,
}

impl Invalid {
    fn input(detail: impl Into<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid_input", detail: detail.into() }
    }
}

impl IntoResponse for Invalid {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.code, "detail": self.detail });
        (self.status, axum::Json(body)).into_response()
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

/// `T` from `bytes`, which must be declared JSON.
fn parse<T: DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> Result<T, Invalid> {
    if !is_json(headers) {
        return Err(Invalid {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_media_type",
            detail: "the body must be application/json".to_owned(),
        });
    }
    // An object, not an array: serde reads a struct from either, and `[true]` must not pass
    // for `{"revoke_current_password": true}` or anything else. (Checked on the bytes, not by
    // parsing into a `Value` first, which would copy a password into memory nobody wipes.)
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Invalid::input("the body must be a JSON object"));
    }
    serde_json::from_slice(bytes).map_err(|e| Invalid::input(e.to_string()))
}

/// A JSON body of type `T`.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequest<St> for JsonBody<T> {
    type Rejection = Invalid;

    async fn from_request(request: Request, state: &St) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, state).await.map_err(|e| Invalid::input(e.body_text()))?;
        parse(&headers, &bytes).map(Self)
    }
}

/// A JSON body of type `T`, or `T::default()` when the body is empty. A body that is there
/// must be JSON: one sent without its content type is refused, never read as "no options".
pub(crate) struct OptionalJsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned + Default, St: Send + Sync> FromRequest<St> for OptionalJsonBody<T> {
    type Rejection = Invalid;

    async fn from_request(request: Request, state: &St) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let bytes = Bytes::from_request(request, state).await.map_err(|e| Invalid::input(e.body_text()))?;
        if bytes.is_empty() {
            return Ok(Self(T::default()));
        }
        parse(&headers, &bytes).map(Self)
    }
}

/// A numeric id from the path.
pub(crate) struct IdPath(pub(crate) i64);

impl<St: Send + Sync> FromRequestParts<St> for IdPath {
    type Rejection = Invalid;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|e| Invalid::input(e.body_text()))
    }
}

/// Query parameters of type `T`.
pub(crate) struct QueryParams<T>(pub(crate) T);

impl<T: DeserializeOwned, St: Send + Sync> FromRequestParts<St> for QueryParams<T> {
    type Rejection = Invalid;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|e| Invalid::input(e.body_text()))
    }
}
