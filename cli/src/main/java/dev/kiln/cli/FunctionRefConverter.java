package dev.kiln.cli;

import picocli.CommandLine.ITypeConverter;

/** Lets picocli read {@code service/function} arguments. */
final class FunctionRefConverter implements ITypeConverter<FunctionRef> {
    @Override
    public FunctionRef convert(String value) {
        return FunctionRef.parse(value);
    }
}
