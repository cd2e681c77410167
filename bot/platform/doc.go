// Package platform is the contract between the engine and the chat
// platforms: the neutral form of an incoming message, what the engine asks
// a platform to deliver, and the optional capabilities (rooms, media,
// menus…) an adapter may offer. Adapters implement these interfaces; the
// engine never imports an adapter.
package platform
