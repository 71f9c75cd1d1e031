//! config: greets the name in the event with the function's `GREETING` setting
//! (`PATCH …/functions/{f}` with `{"env": {"GREETING": "Hi"}}`), "Hello" when unset.

fn handle(event: kiln::Event) -> kiln::Result<String> {
    let name = match event.text()?.trim() {
        "" => "world",
        name => name,
    };
    let greeting = kiln::config::get_or("GREETING", "Hello");
    Ok(format!("{}, {}!", greeting, name))
}

kiln::event_handler!(handle);
