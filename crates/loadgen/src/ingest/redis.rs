//! Laravel's `redis` broadcaster, as laravel-echo-server and sidecast subscribe to it:
//! `PUBLISH <prefix><channel> {"event":…,"data":{…},"socket":null}`, written as RESP by hand
//! (one command and its integer reply per event).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::IngestError;

#[derive(Debug)]
pub struct RedisPublisher {
    stream: BufReader<TcpStream>,
    prefix: String,
    command: Vec<u8>,
    reply: String,
}

impl RedisPublisher {
    pub async fn connect(address: &str, prefix: &str) -> Result<Self, IngestError> {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|source| IngestError::Connect {
                target: address.to_owned(),
                source,
            })?;
        stream.set_nodelay(true)?;
        Ok(RedisPublisher {
            stream: BufReader::new(stream),
            prefix: prefix.to_owned(),
            command: Vec::new(),
            reply: String::new(),
        })
    }

    pub async fn publish(
        &mut self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), IngestError> {
        self.command.clear();
        let message = format!(
            r#"{{"event":{},"data":{data},"socket":null}}"#,
            serde_json::Value::from(event)
        );
        let channel = format!("{}{channel}", self.prefix);
        encode_command(
            &mut self.command,
            &[b"PUBLISH", channel.as_bytes(), message.as_bytes()],
        );
        self.stream.get_mut().write_all(&self.command).await?;
        self.reply.clear();
        self.stream.read_line(&mut self.reply).await?;
        check_integer_reply(&self.reply)
    }
}

/// A RESP array of bulk strings: `*<n>\r\n` then `$<len>\r\n<bytes>\r\n` per part.
fn encode_command(out: &mut Vec<u8>, parts: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
}

/// `PUBLISH` answers `:<receivers>`; anything else is an error reply or a broken stream.
fn check_integer_reply(line: &str) -> Result<(), IngestError> {
    match line.strip_prefix(':') {
        Some(number) if number.trim_end().parse::<u64>().is_ok() => Ok(()),
        _ if line.is_empty() => Err(IngestError::Redis("connection closed".into())),
        _ => Err(IngestError::Redis(line.trim_end().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_in_resp() {
        let mut out = Vec::new();
        encode_command(
            &mut out,
            &[b"PUBLISH", b"laravel_database_c", br#"{"a":1}"#],
        );
        assert_eq!(
            out,
            b"*3\r\n$7\r\nPUBLISH\r\n$18\r\nlaravel_database_c\r\n$7\r\n{\"a\":1}\r\n"
        );
    }

    #[test]
    fn replies() {
        assert!(check_integer_reply(":3\r\n").is_ok());
        assert!(check_integer_reply(":0\r\n").is_ok());
        let error = check_integer_reply("-NOAUTH Authentication required.\r\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Redis refused the PUBLISH: -NOAUTH Authentication required."
        );
        assert!(check_integer_reply("").is_err());
        assert!(check_integer_reply(":x\r\n").is_err());
    }
}
