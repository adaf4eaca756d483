//! A message on the cluster's Redis bus, as anything able to publish there could send it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sidecast_cluster::fuzzing::bus_message(data));
