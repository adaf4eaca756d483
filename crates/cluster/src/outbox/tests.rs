use super::*;
use crate::config::RedisAddress;

fn outbox(messages: usize, bytes: usize) -> (Outbox, Keys) {
    let config = Config {
        buffer_messages: messages,
        buffer_bytes: bytes,
        ..Config::new(RedisAddress::Server("redis://127.0.0.1".into()))
    };
    (Outbox::new("me".into(), &config), Keys::new("sc:", false))
}

fn seqs(batch: &[Outgoing]) -> Vec<u64> {
    batch
        .iter()
        .map(|m| Envelope::decode(&m.bytes).unwrap().seq.unwrap())
        .collect()
}

#[test]
fn a_full_buffer_drops_the_oldest_and_counts_them() {
    let (outbox, keys) = outbox(3, usize::MAX);
    for _ in 0..5 {
        outbox.broadcast(&keys, Body::Bye {});
    }
    assert_eq!(outbox.dropped(), 2);
    assert_eq!(seqs(&outbox.take_batch()), vec![3, 4, 5]);
}

#[test]
fn a_batch_that_could_not_be_sent_goes_back_first() {
    let (outbox, keys) = outbox(100, usize::MAX);
    for _ in 0..3 {
        outbox.broadcast(&keys, Body::Bye {});
    }
    let batch = outbox.take_batch();
    outbox.broadcast(&keys, Body::Bye {});
    outbox.put_back(batch);
    assert_eq!(seqs(&outbox.take_batch()), vec![1, 2, 3, 4]);
    assert_eq!(outbox.lock().bytes, 0);
}

#[test]
fn the_byte_budget_keeps_at_least_the_newest_message() {
    let (outbox, keys) = outbox(100, 10);
    outbox.broadcast(&keys, Body::Bye {});
    outbox.broadcast(&keys, Body::Bye {});
    assert_eq!(outbox.dropped(), 1);
    assert_eq!(seqs(&outbox.take_batch()), vec![2]);
}
