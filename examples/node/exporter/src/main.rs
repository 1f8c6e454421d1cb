//! Minimal metrics exporter: answers every connection with one gauge.
use std::io::Write;
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let mut listen = String::from("127.0.0.1:9100");
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--listen") {
        if let Some(addr) = args.get(i + 1) {
            listen = addr.clone();
        }
    }
    let listener = TcpListener::bind(&listen)?;
    for stream in listener.incoming() {
        let mut stream = stream?;
        let body = "node_up 1\n";
        write!(stream, "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{}", body.len(), body)?;
    }
    Ok(())
}
