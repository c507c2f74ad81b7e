import Trenza
