//! Bursts: one WebSocket message or one POST body holding thousands of `Broadcast` invocations,
//! which every connection (the sender too) must receive whole and in order.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use super::bystander::Ledger;
use super::link::{Link, Transport};
use crate::client::codec::number_after;
use crate::client::{Call, Incoming};

/// Records in one burst: about 160 KB of JSON, within one WebSocket message's and one POST
/// body's limit, and 32 times the outbound queue's limit at every receiver.
pub(crate) const RECORDS: u64 = 4000;

/// How long the sender may wait for its own burst: beyond the send timeout that a connection
/// which stopped reading can hold every broadcast up by.
const PATIENCE: Duration = Duration::from_secs(60);

/// Sends one burst from sender `src` over `transport`, then waits until the sender itself has
/// received every record of it, in order.
pub(crate) async fn run(
    addr: SocketAddr,
    transport: Transport,
    src: u64,
    ledger: &Ledger,
) -> Result<(), String> {
    let mut link = Link::open(addr, transport).await?;
    let proto = transport.proto();
    let mut body = Vec::new();
    let mut record = Vec::new();
    for seq in 0..RECORDS {
        let text = format!("ts=0;src={src};seq={seq};");
        proto.encode(Call::Broadcast(&text), None, &mut record);
        body.extend_from_slice(&record);
    }
    // Counted before it is sent: a burst the server drops shows as loss at every bystander.
    ledger.add(src, RECORDS);
    link.send_bytes(&body).await?;
    let deadline = Instant::now() + PATIENCE;
    let mut next = 0;
    while next < RECORDS {
        let received = tokio::time::timeout_at(deadline, link.down.recv())
            .await
            .map_err(|_| format!("{}: only {next} of {RECORDS} arrived", transport.name()))?;
        let Some((kind, bytes)) = received else {
            return Err(format!(
                "{}: the transport ended after {next} of {RECORDS}",
                transport.name()
            ));
        };
        if matches!(kind, Incoming::Delivery(_)) && number_after(&bytes, b";src=") == Some(src) {
            let seq = number_after(&bytes, b";seq=");
            if seq != Some(next) {
                return Err(format!(
                    "{}: seq {seq:?} where {next} was due",
                    transport.name()
                ));
            }
            next += 1;
        }
    }
    let _ = link.close().await;
    Ok(())
}
