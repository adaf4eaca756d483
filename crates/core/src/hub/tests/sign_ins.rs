use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::support::id;
use crate::hub::Hub;
use crate::{Message, Notice, Origin, Subscriber, Undelivered};

/// A connection signed in as a user, which notes when it is closed for it.
struct SignedIn {
    user: &'static str,
    closed: AtomicBool,
}

impl Subscriber for SignedIn {
    fn deliver(&self, _: Message<'_>) -> Result<(), Undelivered> {
        Ok(())
    }

    fn notify(&self, _: Notice<'_>) -> Result<(), Undelivered> {
        Ok(())
    }

    fn terminate_if_signed_in_as(&self, user: &str) -> bool {
        let it = user == self.user;
        if it {
            self.closed.store(true, Ordering::Relaxed);
        }
        it
    }
}

#[test]
fn every_connection_signed_in_as_the_user_is_closed_and_no_other() {
    let hub = Hub::new();
    let connections: Vec<Arc<SignedIn>> = [("a", "7"), ("b", "7"), ("c", "8")]
        .into_iter()
        .map(|(socket, user)| {
            let connection = Arc::new(SignedIn {
                user,
                closed: AtomicBool::new(false),
            });
            hub.connect(id(socket), connection.clone());
            connection
        })
        .collect();
    assert_eq!(hub.terminate_user("7", Origin::ThisNode), 2);
    let closed: Vec<bool> = connections
        .iter()
        .map(|connection| connection.closed.load(Ordering::Relaxed))
        .collect();
    assert_eq!(closed, [true, true, false]);
    assert_eq!(hub.terminate_user("nobody", Origin::ThisNode), 0);
}
