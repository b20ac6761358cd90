"""Pictures of items: CLIP-style encoders on onnxruntime, the catalog's image index, its queries.

The encoders are the user's (an image tower and a text tower given by a folder); a small
stand-in pair (colour and layout statistics, `vision.standin`) runs the same code path
for tests and benchmarks and is labelled as a stand-in wherever it is named.
"""
