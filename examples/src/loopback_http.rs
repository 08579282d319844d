//! A minimal HTTP/1.1 client for the portal's loopback tests: one request at a time on a
//! kept-alive connection, nothing beyond tokio. It trusts its server (the portal on
//! 127.0.0.1): no TLS, no chunked bodies, a body read by its `Content-Length` or to the
//! connection's end.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The most a response head may take, so a broken answer cannot grow a test's memory.
const MAX_HEAD: usize = 64 * 1024;

/// One response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8).
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` value's `name=value` part.
    pub fn cookies(&self) -> impl Iterator<Item = &str> {
        self.headers.iter().filter(|(n, _)| n == "set-cookie").filter_map(|(_, v)| v.split(';').next()).map(str::trim)
    }

    /// The value of the first form field named `name` in the body (`name="NAME"
    /// value="..."`, as the portal writes its hidden fields), e.g. the CSRF token.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        let rest = self.body.split(&format!(r#"name="{name}" value=""#)).nth(1)?;
        rest.split('"').next()
    }

    /// Does the server close the connection after this answer?
    pub fn closes(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A portal session as a browser holds it: the session cookie (`name=value`) and the CSRF
/// token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The `Cookie` header value naming the session.
    pub cookie: String,
    /// The token the session's forms carry.
    pub csrf: String,
}

/// A connection to a loopback server.
#[derive(Debug)]
pub struct Connection {
    stream: BufReader<TcpStream>,
}

impl Connection {
    /// Connect to `addr`.
    ///
    /// # Errors
    /// Whatever connecting fails with.
    pub async fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self { stream: BufReader::new(stream) })
    }

    /// Send a request (`body` as a form when not empty) and read its answer.
    ///
    /// # Errors
    /// Writing or reading fails, or the answer is not HTTP/1.1 as this client reads it.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> io::Result<Answer> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            request.push_str("content-type: application/x-www-form-urlencoded\r\n");
            request.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.write_raw(request.as_bytes()).await?;
        self.read_answer().await
    }

    /// Load the portal's login page as a browser without a cookie: the session it is given.
    ///
    /// # Errors
    /// As [`send`](Self::send); [`io::ErrorKind::InvalidData`] when the page sets no cookie
    /// or carries no CSRF token.
    pub async fn visit_login(&mut self) -> io::Result<Session> {
        let page = self.send("GET", "/login", &[], "").await?;
        let cookie = page.cookies().next().ok_or_else(|| malformed("the login page set no cookie"))?.to_owned();
        let csrf = page.form_value("csrf").ok_or_else(|| malformed("the login page has no CSRF token"))?.to_owned();
        Ok(Session { cookie, csrf })
    }

    /// Post the portal's login form in `session`.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn post_login(&mut self, session: &Session, username: &str, password: &str) -> io::Result<Answer> {
        let form = format!("csrf={}&username={username}&password={password}", session.csrf);
        self.send("POST", "/login", &[("cookie", &session.cookie)], &form).await
    }

    /// Write `bytes` as they are (a partial request, say).
    ///
    /// # Errors
    /// Whatever writing fails with.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.get_mut().write_all(bytes).await
    }

    /// Read one answer.
    ///
    /// # Errors
    /// The connection ends before a whole answer, or the answer is malformed.
    pub async fn read_answer(&mut self) -> io::Result<Answer> {
        let mut line = String::new();
        let mut head_len = 0;
        read_head_line(&mut self.stream, &mut line, &mut head_len).await?;
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| malformed("not an HTTP/1.1 status line"))?;
        let mut headers = Vec::new();
        loop {
            read_head_line(&mut self.stream, &mut line, &mut head_len).await?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            let (name, value) = trimmed.split_once(':').ok_or_else(|| malformed("a header without a colon"))?;
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        let mut answer = Answer { status, headers, body: String::new() };
        let mut body = Vec::new();
        match answer.header("content-length") {
            Some(length) => {
                let length: usize = length.parse().map_err(|_| malformed("a bad Content-Length"))?;
                body.resize(length, 0);
                self.stream.read_exact(&mut body).await?;
            }
            None if answer.closes() => {
                self.stream.read_to_end(&mut body).await?;
            }
            None => {}
        }
        answer.body = String::from_utf8_lossy(&body).into_owned();
        Ok(answer)
    }

    /// Wait for the server to close: `Ok(bytes)` it sent before closing.
    ///
    /// # Errors
    /// Whatever reading fails with (a reset, say).
    pub async fn read_to_close(&mut self) -> io::Result<Vec<u8>> {
        let mut rest = Vec::new();
        self.stream.read_to_end(&mut rest).await?;
        Ok(rest)
    }
}

/// Read one line of an answer's head into `line`, counting its length into `head_len`.
async fn read_head_line(stream: &mut BufReader<TcpStream>, line: &mut String, head_len: &mut usize) -> io::Result<()> {
    line.clear();
    let n = stream.read_line(line).await?;
    *head_len += n;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the connection ended before an answer"));
    }
    if *head_len > MAX_HEAD {
        return Err(malformed("the answer's head is too long"));
    }
    Ok(())
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}
