//! Authorization requests in flight per client address, when bounded: a client that opens
//! many connections and subscribes each to a channel the app answers slowly would otherwise
//! take every one of the shared slots, and everyone else's subscriptions would wait behind it.
//! With a bound, requests past it from one address wait for that address's turn without
//! holding a shared slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type Slots = Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>;

#[derive(Debug)]
pub(crate) struct PerAddress {
    max: usize,
    /// One semaphore per address with requests in flight or waiting; removed when it has none.
    slots: Slots,
}

/// One request's place among its address's; given back when dropped.
#[derive(Debug)]
pub(crate) struct AddressPermit {
    address: IpAddr,
    permit: Option<OwnedSemaphorePermit>,
    slots: Slots,
}

impl PerAddress {
    pub fn new(max: usize) -> Self {
        PerAddress {
            max,
            slots: Slots::default(),
        }
    }

    /// Waits until `address` has fewer than the bound of requests in flight.
    pub async fn acquire(&self, address: IpAddr) -> AddressPermit {
        let semaphore = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots
                .entry(address)
                .or_insert_with(|| Arc::new(Semaphore::new(self.max)))
                .clone()
        };
        // The semaphore is never closed.
        let permit = semaphore.acquire_owned().await.ok();
        AddressPermit {
            address,
            permit,
            slots: self.slots.clone(),
        }
    }

    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for AddressPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map holds it: nobody is in flight or waiting from this address any more.
        if slots
            .get(&self.address)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            slots.remove(&self.address);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_address_waits_past_its_bound_while_another_goes_ahead() {
        let per_address = PerAddress::new(2);
        let busy: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let first = per_address.acquire(busy).await;
        let second = per_address.acquire(busy).await;
        let third =
            tokio::time::timeout(Duration::from_millis(50), per_address.acquire(busy)).await;
        assert!(third.is_err(), "a third request from one address waits");
        let elsewhere =
            tokio::time::timeout(Duration::from_millis(50), per_address.acquire(other)).await;
        assert!(elsewhere.is_ok(), "another address does not wait");
        drop(elsewhere);
        drop(first);
        let third =
            tokio::time::timeout(Duration::from_millis(50), per_address.acquire(busy)).await;
        assert!(third.is_ok(), "a place freed is taken");
        drop((second, third));
        assert_eq!(
            per_address.addresses(),
            0,
            "addresses with nothing in flight are forgotten"
        );
    }
}
