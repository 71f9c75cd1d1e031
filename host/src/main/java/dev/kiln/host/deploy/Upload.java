package dev.kiln.host.deploy;

/** A function upload after unpacking: the module and any settings its manifest carried. */
public record Upload(byte[] wasm, SettingsPatch settings) {}
