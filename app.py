"""MLP Playground: placeholder page until the real app lands."""

import streamlit as st

st.set_page_config(page_title="MLP Playground", page_icon="🧠", layout="wide")

st.title("MLP Playground")
st.write(
    "Train a small multilayer perceptron on toy 2-D datasets and watch it learn: "
    "pick a dataset, shape the network, press Train, and follow the loss curve "
    "and the decision boundary as they change."
)
