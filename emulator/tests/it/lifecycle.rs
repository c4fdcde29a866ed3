//! Loopback only, and nothing left running after the handle goes.

use std::net::TcpStream;
use std::time::Duration;

use crate::support::*;

#[test]
fn listens_on_loopback_only_and_stops_on_drop() {
    let emu = start_with(|c| c.legacy_port = Some(0));
    let urls = [
        emu.http_url(),
        emu.https_url(),
        format!("http://127.0.0.1:{}", emu.legacy_port().unwrap()),
    ];
    for u in &urls {
        assert_loopback(u);
    }
    let addrs: Vec<String> =
        urls.iter().map(|u| u.split("://").nth(1).unwrap().to_owned()).collect();
    for a in &addrs {
        TcpStream::connect_timeout(&a.parse().unwrap(), Duration::from_secs(2)).expect("listening");
    }
    // A keep-alive connection is open when the emulator stops.
    let agent = agent();
    let mut r = agent.get(&format!("{}/_emulator/info", emu.http_url())).call().unwrap();
    let info: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(info["http_url"], emu.http_url().as_str());
    assert_eq!(info["env"]["imds"]["AZURE_POD_IDENTITY_AUTHORITY_HOST"], emu.http_url().as_str());

    emu.stop();
    for a in &addrs {
        assert!(
            TcpStream::connect_timeout(&a.parse().unwrap(), Duration::from_secs(2)).is_err(),
            "{a} still accepts"
        );
    }
    assert!(agent.get(&format!("http://{}/_emulator/info", addrs[0])).call().is_err());
}

#[test]
fn unknown_paths_are_404_and_logged() {
    let emu = start();
    let r = get(&format!("{}/nothing/here", emu.http_url()), &[]);
    assert_eq!(r.status, 404);
    assert_eq!(emu.requests()[0].endpoint, "unknown");
}
