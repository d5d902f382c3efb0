# The loader's text_escape (loader/events.c) in Python, for the suites that
# match JSON names against the summary: every byte outside printable ASCII,
# space and backslash included, escaped.
def esc(b):
    out = ''
    for c in b:
        if 0x20 < c < 0x7f and c != 0x5c:
            out += chr(c)
        else:
            out += {0x5c: '\\\\', 10: '\\n', 9: '\\t', 13: '\\r'}.get(c, '\\x%02x' % c)
    return out
