//! The accept loop: connections served within [`Limits`], and the ones over the bound
//! answered 503 at once.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::write_deadline::WriteDeadline;
use super::{CONNECTION_LIFETIME, Limits, READ_BUFFER, REFUSALS_PER_CONNECTION, RETRY_AFTER_SECONDS};
use crate::{App, html};

/// The longest a refused connection is kept (its answer written, what the client sends
/// read and dropped).
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Serve `app` on `listener` within `limits`, for as long as the process runs.
pub(crate) async fn serve(listener: TcpListener, app: Arc<App>, limits: Limits) {
    let router = crate::router(Arc::clone(&app));
    let refusal: Arc<[u8]> = refusal(&app).into();
    let served = Arc::new(Semaphore::new(limits.connections));
    // Each refusal lasts at most REFUSAL_TIME and holds a few bytes: room for many more of
    // them than served connections, so idle sockets cannot use the room up cheaply.
    let refusing = Arc::new(Semaphore::new(limits.connections.saturating_mul(REFUSALS_PER_CONNECTION)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.request_timeout).max_buf_size(READ_BUFFER);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        if let Ok(permit) = Arc::clone(&served).try_acquire_owned() {
            let io = TokioIo::new(WriteDeadline::new(stream, limits.request_timeout));
            let connection = http.serve_connection(io, TowerToHyperService::new(router.clone()));
            let grace = limits.request_timeout;
            tokio::spawn(async move {
                let mut connection = std::pin::pin!(connection);
                tokio::select! {
                    _ = connection.as_mut() => {}
                    () = tokio::time::sleep(CONNECTION_LIFETIME) => {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(grace, connection).await;
                    }
                }
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
            tokio::spawn(refuse(stream, Arc::clone(&refusal), permit));
        } else {
            // Over both bounds, no task: the answer if the socket takes it at once, what the
            // client sent so far read, then the close (which may still reset the connection
            // under the answer if more of the request comes after).
            let _ = stream.try_write(&refusal);
            let _ = stream.try_read(&mut [0u8; 4096]);
        }
    }
}

/// The whole answer to a connection over the bound: the busy page, in English (it is
/// written before the request, whose `Accept-Language` is not read), and `Connection:
/// close`.
fn refusal(app: &App) -> Vec<u8> {
    let t = app.pages.english();
    let page = html::localized(&t, "busy-title", None, &format!("<p>{}</p>", html::escape(&t.get("busy"))));
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/html; charset=utf-8\r\nretry-after: \
         {RETRY_AFTER_SECONDS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        page.len()
    );
    [head.into_bytes(), page.into_bytes()].concat()
}

/// Answer a connection over the bound at once, before its request is even read, then shut
/// the sending side and read what the client sends until it closes (at most
/// [`REFUSAL_TIME`] in all): closing with its request unread would reset the connection,
/// and a reset can discard the answer at the client before it is read.
async fn refuse(mut stream: TcpStream, answer: Arc<[u8]>, permit: OwnedSemaphorePermit) {
    let exchange = async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(REFUSAL_TIME, exchange).await;
    drop(permit);
}

/// A failed accept: a connection that went away before it was accepted is nothing; out of
/// file descriptors (or any other failure) waits a moment rather than spinning.
async fn accept_failed(e: &io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    ) {
        return;
    }
    eprintln!("accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
