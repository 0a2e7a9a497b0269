"""Serving plumbing, apart from the page's parts: ZeroGPU, the visitors' files, Gradio's per-session config.

server/zerogpu.py     where a live training runs: ZeroGPU's lent GPU on a Space, a process of its own elsewhere
server/downloads.py   files handed to visitors (trained models, samples), cleaned up after an hour
server/sessions.py    Gradio's per-session page config, built when read (a patch checked against Gradio 6.31)
"""
