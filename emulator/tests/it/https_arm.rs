//! ARM over https with the emulator's CA: on its own port (azmi-host's production transport
//! trusting the CA), and inside `CONNECT` tunnels for the real ARM host names (a raw proxy client
//! here, so the test controls exactly what is sent). Nothing leaves 127.0.0.1: the tunnel's far
//! end is the emulator itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use azmi_core::{Outgoing, RequestId};
use azmi_emulator::{Emulator, ARM_HOSTS};
use azmi_host::Transport;
use base64::Engine as _;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};

use crate::support::*;

const SUB: &str = azmi_emulator::DEFAULT_SUBSCRIPTION_ID;

fn bearer(emu: &Emulator) -> String {
    format!("Bearer {}", emu.issue_token(&emu.identities()[0], ARM))
}

fn ca_der(emu: &Emulator) -> CertificateDer<'static> {
    let b64: String = emu.ca_pem().lines().filter(|l| !l.starts_with("-----")).collect();
    CertificateDer::from(base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
}

/// A request through azmi-host's transport (direct, no proxy).
fn https(transport: &Transport, method: &str, url: &str, auth: &str) -> Result<Resp, String> {
    assert_loopback(url);
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", auth)
        .body(Vec::new())
        .unwrap();
    let out = Outgoing {
        id: RequestId(1),
        request,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        max_response_bytes: 1 << 20,
        tls_pin: None,
        bypass_proxy: true,
    };
    let resp = transport.send(out).map_err(|e| format!("{e:?}"))?;
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    Ok(Resp { status: resp.status().as_u16(), headers, body })
}

fn create_groups(emu: &Emulator, auth: &str, names: &[&str]) {
    for name in names {
        let target = url(
            &emu.arm_endpoint(),
            &format!("/subscriptions/{SUB}/resourcegroups/{name}"),
            &[("api-version", "2022-09-01")],
        );
        let body = json!({"location": "westeurope"});
        let r = send("PUT", &target, &[("authorization", auth)], Some(&body));
        assert!(r.status == 200 || r.status == 201, "{}", r.body);
    }
}

#[test]
fn arm_over_https_is_trusted_through_the_ca_and_links_stay_on_it() {
    let emu = start();
    let auth = bearer(&emu);
    create_groups(&emu, &auth, &["g1", "g2", "g3"]);
    let base = emu.arm_https_endpoint();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    let trusting = Transport::with_extra_roots_pem(emu.ca_pem().as_bytes()).unwrap();
    let first = format!("{base}/subscriptions/{SUB}/resourcegroups?api-version=2022-09-01");
    let page = https(&trusting, "GET", &first, &auth).unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let next = page.json()["nextLink"].as_str().unwrap().to_owned();
    assert!(next.starts_with(&format!("{base}/subscriptions/")), "{next}");
    let rest = https(&trusting, "GET", &next, &auth).unwrap();
    assert_eq!(rest.status, 200, "{}", rest.body);

    let delete = format!("{base}/subscriptions/{SUB}/resourcegroups/g1?api-version=2022-09-01");
    let accepted = https(&trusting, "DELETE", &delete, &auth).unwrap();
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    for header in ["location", "azure-asyncoperation"] {
        let link = accepted.header(header).unwrap();
        assert!(link.starts_with(&format!("{base}/subscriptions/")), "{header}: {link}");
    }

    // The files hold the CA; the bundle ends with it.
    let on_disk = std::fs::read_to_string(emu.ca_file()).unwrap();
    assert_eq!(on_disk, emu.ca_pem());
    let bundle = std::fs::read_to_string(emu.ca_bundle_file()).unwrap();
    assert!(bundle.ends_with(&emu.ca_pem()));

    // Without the CA, the same request is refused at the handshake.
    let empty = Transport::with_extra_roots_pem(b"").err();
    assert!(empty.is_some_and(|e| e.to_string().contains("no PEM certificate")));
    let other = start();
    let stranger = Transport::with_extra_roots_pem(other.ca_pem().as_bytes()).unwrap();
    let refused = https(&stranger, "GET", &first, &auth).unwrap_err();
    assert!(refused.contains("Tls"), "{refused}");
}

#[test]
fn the_ca_files_go_where_asked_and_stay() {
    let dir = std::env::temp_dir().join(format!("azmi-ca-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("emulator-ca.pem");
    let emu = start_with(|cfg| cfg.ca_file = Some(file.clone()));
    assert_eq!(emu.ca_file(), file);
    assert_eq!(emu.ca_bundle_file(), dir.join("emulator-ca-bundle.pem"));
    let env: Vec<_> = emu.arm_env();
    let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(get("NODE_EXTRA_CA_CERTS"), Some(file.display().to_string()));
    assert_eq!(get("SSL_CERT_FILE"), Some(emu.ca_bundle_file().display().to_string()));
    assert_eq!(get("REQUESTS_CA_BUNDLE"), get("SSL_CERT_FILE"));
    assert_eq!(get("AZMI_ARM_ENDPOINT"), Some(emu.arm_https_endpoint()));
    assert_eq!(get("HTTPS_PROXY"), Some(emu.http_url()));
    assert_eq!(get("NO_PROXY").as_deref(), Some("127.0.0.1,localhost,::1"));
    emu.stop();
    assert!(file.exists(), "a named CA file is the caller's");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_private_ca_dir_is_removed_on_stop() {
    let emu = start();
    let dir = emu.ca_file().parent().unwrap().to_path_buf();
    assert!(emu.ca_file().exists() && emu.ca_bundle_file().exists());
    emu.stop();
    assert!(!dir.exists(), "{}", dir.display());
}

/// Sends `CONNECT target` to the emulator's main port; returns the status line's code and the
/// open stream.
fn connect(emu: &Emulator, target: &str) -> (u16, BufReader<TcpStream>) {
    let stream = TcpStream::connect(("127.0.0.1", emu.http_port())).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream);
    write!(reader.get_mut(), "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").unwrap();
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let code = status.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
    }
    (code, reader)
}

/// One request inside a tunnel to `host`, over TLS trusting only the emulator's CA.
fn tunnelled(emu: &Emulator, host: &str, method: &str, path: &str, auth: &str) -> Resp {
    let (code, reader) = connect(emu, &format!("{host}:443"));
    assert_eq!(code, 200, "CONNECT {host}:443");
    assert!(reader.buffer().is_empty(), "nothing may follow the 200 before TLS");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca_der(emu)).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, reader.into_inner());
    write!(
        tls,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    // A peer that closes without close_notify still gave us the whole answer (Connection: close).
    let _ = tls.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok());
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Resp { status: status.unwrap_or(0), headers, body: body.to_owned() }
}

#[test]
fn the_proxy_serves_arm_for_the_arm_host_names_with_links_on_that_host() {
    let emu = start();
    let auth = bearer(&emu);
    create_groups(&emu, &auth, &["p1", "p2", "p3"]);
    let list = format!("/subscriptions/{SUB}/resourcegroups?api-version=2022-09-01");
    let page = tunnelled(&emu, "management.azure.com", "GET", &list, &auth);
    assert_eq!(page.status, 200, "{}", page.body);
    let body: Value = serde_json::from_str(&page.body).unwrap();
    let next = body["nextLink"].as_str().unwrap();
    assert!(next.starts_with("https://management.azure.com/subscriptions/"), "{next}");

    let delete = format!("/subscriptions/{SUB}/resourcegroups/p1?api-version=2022-09-01");
    let accepted = tunnelled(&emu, "management.azure.com", "DELETE", &delete, &auth);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    for header in ["location", "azure-asyncoperation"] {
        let link = accepted.header(header).unwrap();
        assert!(link.starts_with("https://management.azure.com/subscriptions/"), "{link}");
    }

    // Every cloud's ARM host has a name in the certificate.
    for host in ARM_HOSTS {
        let subs = tunnelled(&emu, host, "GET", "/subscriptions?api-version=2022-12-01", &auth);
        assert_eq!(subs.status, 200, "{host}: {}", subs.body);
    }
    let logged: Vec<_> = emu.requests().into_iter().filter(|r| r.endpoint == "proxy").collect();
    assert_eq!(logged.len(), 2 + ARM_HOSTS.len());
    assert!(logged.iter().all(|r| r.method == "CONNECT" && r.status == Some(200)));
}

#[test]
fn the_proxy_refuses_every_other_target_and_connects_nowhere() {
    let emu = start();
    for target in [
        "example.com:443",
        "management.azure.com:80",
        "management.azure.com.evil.example:443",
        "login.microsoftonline.com:443",
        "169.254.169.254:80",
        "user:hunter2@example.com:443",
        &format!("127.0.0.1:{}", emu.http_port()),
    ] {
        let (code, mut reader) = connect(&emu, target);
        assert_eq!(code, 403, "CONNECT {target}");
        // The refusal closes the connection: read to its end.
        let mut body = Vec::new();
        reader.read_to_end(&mut body).unwrap();
        let said = String::from_utf8_lossy(&body);
        assert!(said.contains("only Resource Manager"), "{target}: {said}");
        assert!(!said.contains("hunter2"), "{said}");
    }
    let refused: Vec<_> = emu.requests().into_iter().filter(|r| r.endpoint == "proxy").collect();
    assert_eq!(refused.len(), 7);
    assert!(refused.iter().all(|r| r.status == Some(403) && !r.path.contains("hunter2")));
}
