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
