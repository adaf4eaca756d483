//! sidecast's Unix socket: one plain `PUBLISH` frame per event (`docs/wire-protocol.md`).

use std::path::Path;

use sidecast_wire::Publish;
use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;

use super::IngestError;

#[derive(Debug)]
pub struct UnixPublisher {
    stream: UnixStream,
    frame: Vec<u8>,
}

impl UnixPublisher {
    pub async fn connect(path: &Path) -> Result<Self, IngestError> {
        let stream = UnixStream::connect(path)
            .await
            .map_err(|source| IngestError::Connect {
                target: path.display().to_string(),
                source,
            })?;
        Ok(UnixPublisher {
            stream,
            frame: Vec::new(),
        })
    }

    pub async fn publish(
        &mut self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), IngestError> {
        self.frame.clear();
        Publish {
            channels: vec![channel],
            event,
            socket_id: None,
            payload: data.as_bytes(),
        }
        .encode(&mut self.frame)?;
        self.stream.write_all(&self.frame).await?;
        Ok(())
    }
}
