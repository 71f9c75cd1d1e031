//! echo: returns the event (or HTTP body) unchanged.

fn handle(event: kiln::Event) -> Vec<u8> {
    event.into_bytes()
}

kiln::event_handler!(handle);
