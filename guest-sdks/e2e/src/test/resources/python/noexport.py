# Test fixture: defines no handler, so the upload is refused.
def main(event, context):
    return "never"
