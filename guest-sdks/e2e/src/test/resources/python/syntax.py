# Test fixture: does not parse, so the upload is refused.
def handler(event, context)
    return "never"
