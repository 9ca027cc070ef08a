"""The use cases: the one unit of work (load, decide, append, retry), import and export,
the demo and the audit. Every writer goes through here.
"""
