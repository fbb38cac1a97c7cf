@invoices
Feature: Unresolved deposits are brought to a final status by the merchant's resolution
  Proves, in Cryptopay's words:
  - Invoices item 1: Make sure that you know how to update underpaid payment statuses
  - Invoices item 2: Make sure that you know how to update overpaid payment statuses
  - Invoices item 3: Make sure that you know how to update paid_late payment statuses
  - Invoices item 9: Update payment statuses in the above three scenarios to one of the final statuses completed or refunded
  - Invoices item 11: Check the payment status using the GET request
  - Invoices item 12: Make sure that you credit funds to the customer balance when the payment status is completed
  The merchant resolves an unresolved invoice by recalculating it at the current rate or by refunding it.

  Background:
    Given a new customer
    And the customer has asked to deposit 100.00 EUR, paid in crypto

  Rule: A recalculation completes the deposit at a new price, and the customer is credited that new price

    @invoices_9 @invoices_11 @invoices_12
    Scenario Outline: A deposit left <kind> and recalculated at the current rate credits the new price
      Given the merchant's account does nothing itself with <kind> deposits
      And the customer's deposit is unresolved as <kind>
      When the merchant resolves the deposit by recalculation
      Then Cryptopay reports the deposit as completed
      And the merchant records the deposit as completed
      And the customer's balance shows the deposit's final price

      @invoices_1
      Examples: Paid too little
        | kind      |
        | underpaid |

      @invoices_2
      Examples: Paid too much
        | kind     |
        | overpaid |

      @invoices_3
      Examples: Paid after the deposit expired
        | kind      |
        | paid late |

  Rule: A refund of too little or of a late payment ends the deposit refunded, with nothing credited

    @invoices_9 @invoices_11 @invoices_12 @negative
    Scenario Outline: A deposit left <kind> and refunded to the payer credits nothing
      Given the merchant's account does nothing itself with <kind> deposits
      And the customer's deposit is unresolved as <kind>
      When the merchant resolves the deposit by refund
      Then Cryptopay reports the deposit as refunded
      And the merchant records the deposit as refunded
      And the customer has been credited nothing

      @invoices_1
      Examples: Paid too little
        | kind      |
        | underpaid |

      @invoices_3
      Examples: Paid after the deposit expired
        | kind      |
        | paid late |

  Rule: A refund of an overpayment returns only the excess and completes the deposit at its original price

    @invoices_2 @invoices_9 @invoices_11 @invoices_12
    Scenario: An overpaid deposit refunded of the excess credits the original price
      Given the merchant's account does nothing itself with overpaid deposits
      And the customer's deposit is unresolved as overpaid
      When the merchant resolves the deposit by refund
      Then Cryptopay reports the deposit as completed
      And the merchant records the deposit as completed
      And the customer's balance shows 100.00 EUR
