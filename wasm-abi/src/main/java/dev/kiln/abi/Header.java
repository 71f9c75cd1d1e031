package dev.kiln.abi;

/** One HTTP header field. Request header names are lower-case. */
public record Header(String name, String value) {}
