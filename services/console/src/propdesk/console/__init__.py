"""console: the staff screens. Owns no data: it renders HTML from the services' public APIs, called with the
signed-in user's token, and pushes the changes it hears on NATS to the browsers over Server-Sent Events."""
