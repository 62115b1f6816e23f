"""The answer prompt: numbered passages in, a cited answer out."""

from langchain_core.prompts import ChatPromptTemplate

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages provided. "
    "Cite the passages you use as [n]. "
    "If the passages do not contain the answer, say plainly that the documents do not contain it. "
    "Answer in the same language as the question. Be brief."
)

ANSWER_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", SYSTEM_PROMPT),
        ("human", "Passages:\n{context}\n\nQuestion: {question}"),
    ]
)

NO_ANSWER_TEXT = "The documents do not seem to contain the answer to this question."

# Tiny local models (SmolLM2-135M) follow a long instruction list poorly: the refusal clause makes
# them refuse answers that are in the passage. Relevance gating happens before the model is called,
# so this shorter prompt is safe for them.
COMPACT_ANSWER_PROMPT = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer using only the numbered passages. Cite as [n]."),
        ("human", "Passages:\n{context}\n\nQuestion: {question}"),
    ]
)
