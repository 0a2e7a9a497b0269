"""Serving plumbing, apart from the page's parts: ZeroGPU, the visitors' files, Gradio's sessions.

server/zerogpu.py     where a live training runs: ZeroGPU's lent GPU on a Space, a process of its own elsewhere
server/downloads.py   files handed to visitors (trained models, samples), cleaned up after an hour
server/sessions.py    Gradio's sessions: page configs built when read, finished sessions dropped (checked: Gradio 6.31)
"""
