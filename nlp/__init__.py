"""Reading text: segmentation with the brand dictionaries, keywords, near-duplicate hashes and the
sentiment model (built offline from wheels, scored by ONNX Runtime or torch), and its training."""
